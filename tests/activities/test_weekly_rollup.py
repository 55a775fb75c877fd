"""What the triggers of migration 0007 keep for activities: `activity_weeks` counts each
live activity in the week of its `occurred_at` in the couple's time zone and calendar,
and every write moves `bid_versions.version` on (the trends' cache key)."""

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.activities.helpers import (
    delete_activity,
    log_activity,
    patch_activity,
    post_activity,
    second,
    version_of,
    weeks_of,
)
from tests.factories import Couple, make_couple
from tests.http import assert_problem

MONDAY = date(2024, 5, 6)
NEXT_MONDAY = date(2024, 5, 13)


async def a_couple(
    client: httpx.AsyncClient, timezone: str = "UTC", week_starts: str = "monday"
) -> Couple:
    couple = await make_couple(client, timezone=timezone)
    if week_starts != "monday":
        changed = await client.patch(
            couple.path, json={"week_starts": week_starts}, headers=couple.first.headers
        )
        assert changed.status_code == 200, changed.text
    return couple


async def test_create_patch_and_delete_move_the_counts(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    couple = await a_couple(client)
    assert await weeks_of(conn, couple) == {}

    dinner = await log_activity(
        client, couple, kind="date_night", occurred_at="2024-05-07T19:00:00Z", duration_minutes=120
    )
    walk = await log_activity(
        client, couple, kind="date_night", occurred_at="2024-05-09T19:00:00Z", duration_minutes=30
    )
    talk = await log_activity(
        client, couple, kind="checkin_talk", occurred_at="2024-05-10T08:00:00Z"
    )
    assert await weeks_of(conn, couple) == {
        (MONDAY, "date_night"): (2, 150),
        (MONDAY, "checkin_talk"): (1, 0),  # no duration adds nothing
    }

    # A new kind moves it to that kind's count.
    await patch_activity(client, couple, walk["id"], {"kind": "shared_activity"})
    assert await weeks_of(conn, couple) == {
        (MONDAY, "date_night"): (1, 120),
        (MONDAY, "shared_activity"): (1, 30),
        (MONDAY, "checkin_talk"): (1, 0),
    }

    # A new time in another week moves it to that week.
    await patch_activity(client, couple, dinner["id"], {"occurred_at": "2024-05-14T19:00:00Z"})
    assert await weeks_of(conn, couple) == {
        (NEXT_MONDAY, "date_night"): (1, 120),
        (MONDAY, "shared_activity"): (1, 30),
        (MONDAY, "checkin_talk"): (1, 0),
    }

    # A duration given, changed, cleared.
    await patch_activity(client, couple, talk["id"], {"duration_minutes": 20})
    await patch_activity(client, couple, dinner["id"], {"duration_minutes": 150})
    await patch_activity(client, couple, walk["id"], {"duration_minutes": None})
    assert await weeks_of(conn, couple) == {
        (NEXT_MONDAY, "date_night"): (1, 150),
        (MONDAY, "shared_activity"): (1, 0),
        (MONDAY, "checkin_talk"): (1, 20),
    }

    # A tombstone counts nowhere.
    assert (await delete_activity(client, couple, dinner["id"])).status_code == 204
    assert (await delete_activity(client, couple, walk["id"])).status_code == 204
    assert await weeks_of(conn, couple) == {(MONDAY, "checkin_talk"): (1, 20)}


async def test_refused_writes_count_nothing(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    body = {
        "id": "6f1c0d54-8a5e-4a53-9d3c-5d2a1f0e9b11",
        "kind": "date_night",
        "occurred_at": "2024-05-07T19:00:00Z",
        "duration_minutes": 60,
    }
    activity = await log_activity(client, couple, **body)
    expected = {(MONDAY, "date_night"): (1, 60)}

    assert (await post_activity(client, couple, **body)).status_code == 200
    assert_problem(await post_activity(client, couple, **(body | {"duration_minutes": 5})), 409)
    assert_problem(
        await patch_activity(
            client, couple, activity["id"], {"duration_minutes": 5}, second(couple)
        ),
        403,
    )
    assert_problem(
        await patch_activity(
            client, couple, activity["id"], {"duration_minutes": 5}, **{"If-Match": '"0"'}
        ),
        412,
    )
    assert_problem(
        await patch_activity(client, couple, activity["id"], {"duration_minutes": 1441}), 422
    )

    assert await weeks_of(conn, couple) == expected


@pytest.mark.parametrize(
    ("timezone", "week_starts", "occurred_at", "week_start"),
    [
        # Monday 00:30 in Paris is still Sunday in UTC: the local week is the new one.
        pytest.param(
            "Europe/Paris", "monday", "2024-05-13T00:30:00+02:00", NEXT_MONDAY, id="paris-monday"
        ),
        # Sunday 23:30 in Auckland (Sunday 11:30 UTC) still ends the local week.
        pytest.param(
            "Pacific/Auckland", "monday", "2024-05-12T23:30:00+12:00", MONDAY, id="auckland-sunday"
        ),
        # Monday 00:30 in Auckland is Sunday 12:30 in UTC.
        pytest.param(
            "Pacific/Auckland",
            "monday",
            "2024-05-12T12:30:00Z",
            NEXT_MONDAY,
            id="auckland-monday-sent-in-utc",
        ),
        # Sunday 05:00 in Auckland is Saturday 17:00 in UTC: a new Sunday week locally.
        pytest.param(
            "Pacific/Auckland",
            "sunday",
            "2024-05-12T05:00:00+12:00",
            date(2024, 5, 12),
            id="auckland-sunday-start",
        ),
        # Saturday 23:30 in Los Angeles is Sunday 06:30 in UTC: still the local week.
        pytest.param(
            "America/Los_Angeles",
            "sunday",
            "2024-05-11T23:30:00-07:00",
            date(2024, 5, 5),
            id="los-angeles-saturday-sunday-start",
        ),
        # Sunday 23:30 in Los Angeles is Monday 06:30 in UTC: still the local week.
        pytest.param(
            "America/Los_Angeles",
            "monday",
            "2024-05-12T23:30:00-07:00",
            MONDAY,
            id="los-angeles-sunday-monday-start",
        ),
    ],
)
async def test_an_activity_counts_in_its_local_week(
    client: httpx.AsyncClient,
    conn: AsyncConnection,
    timezone: str,
    week_starts: str,
    occurred_at: str,
    week_start: date,
) -> None:
    couple = await a_couple(client, timezone, week_starts)
    activity = await log_activity(
        client, couple, kind="shared_activity", occurred_at=occurred_at, duration_minutes=45
    )
    assert await weeks_of(conn, couple) == {(week_start, "shared_activity"): (1, 45)}

    await patch_activity(client, couple, activity["id"], {"kind": "other", "duration_minutes": 50})
    assert await weeks_of(conn, couple) == {(week_start, "other"): (1, 50)}

    await delete_activity(client, couple, activity["id"])
    assert await weeks_of(conn, couple) == {}


async def test_a_patch_across_a_local_week_boundary(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    couple = await a_couple(client, "Pacific/Auckland", "sunday")
    # Saturday 23:30 in Auckland, then Sunday 00:30: an hour apart, a week apart.
    activity = await log_activity(
        client,
        couple,
        kind="date_night",
        occurred_at="2024-05-11T23:30:00+12:00",
        duration_minutes=60,
    )
    assert await weeks_of(conn, couple) == {(date(2024, 5, 5), "date_night"): (1, 60)}

    await patch_activity(
        client, couple, activity["id"], {"occurred_at": "2024-05-12T00:30:00+12:00"}
    )
    assert await weeks_of(conn, couple) == {(date(2024, 5, 12), "date_night"): (1, 60)}


async def test_every_write_moves_the_version_on(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    seen = [await version_of(conn, couple)]

    async def grew() -> None:
        now = await version_of(conn, couple)
        assert now > seen[-1], [*seen, now]
        seen.append(now)

    async def stayed() -> None:
        assert await version_of(conn, couple) == seen[-1]

    body: dict[str, Any] = {"id": "0b6f5f2e-2f5d-4b8e-9a7c-3c1d2e4f5a6b", "kind": "other"}
    activity = await log_activity(client, couple, **body)
    await grew()
    assert (await post_activity(client, couple, **body)).status_code == 200
    await stayed()
    for change in ({"kind": "date_night"}, {"note": "words"}, {"duration_minutes": 10}):
        assert (await patch_activity(client, couple, activity["id"], change)).status_code == 200
        await grew()
    assert (await delete_activity(client, couple, activity["id"])).status_code == 204
    await grew()
