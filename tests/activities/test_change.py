"""`PATCH /couples/{couple_id}/activities/{activity_id}`: who may change an activity,
and how."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.activities.helpers import (
    T0,
    from_now,
    get_activity,
    iso,
    log_activity,
    parse_time,
    patch_activity,
    second,
    version_of,
)
from tests.factories import Couple
from tests.http import assert_problem


async def test_the_logger_changes_an_activity(client: httpx.AsyncClient, couple: Couple) -> None:
    activity = await log_activity(
        client, couple, kind="date_night", occurred_at=iso(T0), duration_minutes=90, note="Dinner"
    )
    etag = (await get_activity(client, couple, activity["id"])).headers["ETag"]
    changes = {
        "kind": "shared_activity",
        "occurred_at": "2024-05-07T09:00:00+02:00",
        "duration_minutes": 45,
        "note": "A run together",
    }

    response = await patch_activity(client, couple, activity["id"], changes)

    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["kind"], changed["duration_minutes"], changed["note"]) == (
        "shared_activity",
        45,
        "A run together",
    )
    assert parse_time(changed["occurred_at"]) == datetime(2024, 5, 7, 7, 0, tzinfo=UTC)
    assert parse_time(changed["updated_at"]) > parse_time(activity["updated_at"])
    for unchanged in ("id", "couple_id", "logged_by", "created_at"):
        assert changed[unchanged] == activity[unchanged]
    assert response.headers["ETag"] != etag
    read = await get_activity(client, couple, activity["id"], second(couple))
    assert read.json() == changed
    assert read.headers["ETag"] == response.headers["ETag"]


async def test_the_second_partner_changes_what_they_logged(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    activity = await log_activity(client, couple, second(couple), kind="other")
    response = await patch_activity(
        client, couple, activity["id"], {"kind": "checkin_talk"}, second(couple)
    )
    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "checkin_talk"


async def test_fields_left_out_stay_and_null_clears_duration_and_note(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    activity = await log_activity(client, couple, kind="other", duration_minutes=30, note="Walk")
    response = await patch_activity(
        client, couple, activity["id"], {"duration_minutes": None, "note": None}
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["duration_minutes"], changed["note"]) == (None, None)
    assert (changed["kind"], changed["occurred_at"]) == ("other", activity["occurred_at"])

    only_note = await patch_activity(client, couple, activity["id"], {"note": "Long walk"})
    assert (only_note.json()["note"], only_note.json()["duration_minutes"]) == ("Long walk", None)


async def test_an_empty_patch_changes_nothing(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    activity = await log_activity(client, couple)
    etag = (await get_activity(client, couple, activity["id"])).headers["ETag"]
    version = await version_of(conn, couple)
    response = await patch_activity(client, couple, activity["id"], {})
    assert response.status_code == 200, response.text
    assert response.json() == activity
    assert response.headers["ETag"] == etag
    assert await version_of(conn, couple) == version


async def test_patch_by_the_other_partner_is_403(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    activity = await log_activity(client, couple, couple.first, note="mine")
    version = await version_of(conn, couple)
    for body in ({"note": "theirs"}, {}):
        problem = assert_problem(
            await patch_activity(client, couple, activity["id"], body, second(couple)), 403
        )
        assert problem["type"] == "urn:toward:problem:not-logger"
    assert (await get_activity(client, couple, activity["id"])).json() == activity
    assert await version_of(conn, couple) == version


async def test_patch_with_if_match(client: httpx.AsyncClient, couple: Couple) -> None:
    activity = await log_activity(client, couple, kind="other")
    etag = (await get_activity(client, couple, activity["id"])).headers["ETag"]
    moved = await patch_activity(client, couple, activity["id"], {"note": "first change"})
    assert moved.status_code == 200

    stale = await patch_activity(
        client, couple, activity["id"], {"kind": "date_night"}, **{"If-Match": etag}
    )
    problem = assert_problem(stale, 412)
    assert problem["type"] == "urn:toward:problem:stale-version"
    assert stale.headers["ETag"] == moved.headers["ETag"]
    assert (await get_activity(client, couple, activity["id"])).json()["kind"] == "other"

    current = moved.headers["ETag"]
    response = await patch_activity(
        client, couple, activity["id"], {"kind": "date_night"}, **{"If-Match": current}
    )
    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "date_night"
    assert response.headers["ETag"] not in {etag, current}

    # A weak tag never matches If-Match; the tag of the change is the one to send next.
    assert_problem(
        await patch_activity(
            client, couple, activity["id"], {"kind": "other"}, **{"If-Match": f"W/{current}"}
        ),
        412,
    )
    again = await patch_activity(
        client, couple, activity["id"], {"kind": "other"}, **{"If-Match": response.headers["ETag"]}
    )
    assert again.status_code == 200, again.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"kind": None}, "kind", id="null-kind"),
        pytest.param({"occurred_at": None}, "occurred_at", id="null-time"),
        pytest.param({"kind": "picnic"}, "kind", id="unknown-kind"),
        pytest.param({"occurred_at": "2024-05-06T12:00:00"}, "occurred_at", id="naive-time"),
        pytest.param({"occurred_at": "future-6"}, "occurred_at", id="future-time"),
        pytest.param({"occurred_at": "1899-12-31T23:59:59Z"}, "occurred_at", id="1899"),
        pytest.param({"duration_minutes": 0}, "duration_minutes", id="duration-0"),
        pytest.param({"duration_minutes": 1441}, "duration_minutes", id="duration-1441"),
        pytest.param({"duration_minutes": 2.5}, "duration_minutes", id="duration-fraction"),
        pytest.param({"note": "n" * 1001}, "note", id="note-1001"),
        pytest.param({"logged_by": "other"}, "logged_by", id="logged-by"),
        pytest.param({"couple_id": str(uuid.uuid4())}, "couple_id", id="couple-id"),
        pytest.param({"id": str(uuid.uuid4())}, "id", id="id"),
    ],
)
async def test_patch_rejects_bad_input_naming_the_field(
    client: httpx.AsyncClient,
    couple: Couple,
    conn: AsyncConnection,
    body: dict[str, Any],
    field: str,
) -> None:
    activity = await log_activity(client, couple, duration_minutes=30, note="keep")
    version = await version_of(conn, couple)
    sent = {
        key: (
            second(couple).id
            if value == "other"
            else iso(from_now(minutes=6))
            if value == "future-6"
            else value
        )
        for key, value in body.items()
    }
    # Together with a valid change, which must not be applied either.
    if field != "note":
        sent["note"] = "changed"

    response = await patch_activity(client, couple, activity["id"], sent)

    assert_problem(response, 422, field)
    assert (await get_activity(client, couple, activity["id"])).json() == activity
    assert await version_of(conn, couple) == version


async def test_patch_of_a_deleted_or_unknown_activity_is_404(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    activity = await log_activity(client, couple)
    await client.delete(f"{couple.path}/activities/{activity['id']}", headers=couple.first.headers)
    assert_problem(await patch_activity(client, couple, activity["id"], {"note": "x"}), 404)
    assert_problem(await patch_activity(client, couple, str(uuid.uuid4()), {"note": "x"}), 404)
