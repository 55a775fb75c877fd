"""What check-in writes leave in `checkin_weeks` (kept by triggers) and
`bid_versions`, read straight from the tables: every put, replacement, deletion and
revival moves the right week of the right partner, and counts as a write."""

from datetime import date, timedelta
from typing import Any

import pytest

from models.checkin import CHECKIN_COUNTS
from tests.checkins.helpers import DAY, body_of, check_in, delete, put, week_rows, writes
from tests.http import assert_problem


def counts(*checkins: dict[str, Any]) -> dict[str, int]:
    """What these check-ins should add up to, every column of the rollup."""
    total = dict.fromkeys(CHECKIN_COUNTS, 0)
    for checkin in checkins:
        total["checkins"] += 1
        total["connection_sum"] += checkin["connection"]
        total["connection_squares"] += checkin["connection"] ** 2
        total["stress_sum"] += checkin["stress"]
        for sign in checkin.get("signs", []):
            total[f"sign_{sign}"] += 1
    return total


def figures(row: Any) -> dict[str, int]:
    return {name: row[name] for name in CHECKIN_COUNTS}


async def test_put_replace_delete_and_revive_move_the_week(client, couple, conn):
    ana = couple.first.id
    week = (DAY, ana)  # DAY is a Monday; the couple's weeks start on Mondays
    monday = {"connection": 7, "stress": 3, "signs": ["poor_listening", "infidelity"]}
    wednesday = {"connection": 5, "stress": 6, "signs": ["poor_listening"]}
    before = await writes(conn, couple)

    await check_in(client, couple, couple.first, DAY, **monday)
    rows = await week_rows(conn, couple)
    assert figures(rows[week]) == counts(monday)
    after_put = await writes(conn, couple)
    assert after_put > before

    await check_in(client, couple, couple.first, DAY + timedelta(days=2), **wednesday)
    assert figures((await week_rows(conn, couple))[week]) == counts(monday, wednesday)
    after_second = await writes(conn, couple)
    assert after_second > after_put

    replaced = {"connection": 2, "stress": 9, "signs": []}
    await check_in(client, couple, couple.first, DAY, **replaced)
    assert figures((await week_rows(conn, couple))[week]) == counts(replaced, wednesday)
    after_replace = await writes(conn, couple)
    assert after_replace > after_second

    assert (await delete(client, couple, couple.first, DAY + timedelta(days=2))).status_code == 204
    assert figures((await week_rows(conn, couple))[week]) == counts(replaced)
    after_delete = await writes(conn, couple)
    assert after_delete > after_replace

    revived = {"connection": 10, "stress": 1, "signs": ["lack_of_support", "unhappiness"]}
    response = await put(client, couple, couple.first, DAY + timedelta(days=2), body_of(**revived))
    assert response.status_code == 201
    assert figures((await week_rows(conn, couple))[week]) == counts(replaced, revived)
    assert await writes(conn, couple) > after_delete


async def test_each_partner_and_each_week_has_its_own_row(client, couple, conn):
    ana, ben = couple.first, couple.second
    mine = {"connection": 3, "stress": 8, "signs": ["emotional_detachment"]}
    his = {"connection": 9, "stress": 2, "signs": []}
    later = {"connection": 6, "stress": 6, "signs": ["communication_breakdown"]}
    await check_in(client, couple, ana, DAY, **mine)
    await check_in(client, couple, ben, DAY + timedelta(days=6), **his)  # Sunday
    await check_in(client, couple, ana, DAY + timedelta(days=7), **later)  # next Monday

    rows = await week_rows(conn, couple)
    assert {key: figures(row) for key, row in rows.items()} == {
        (DAY, ana.id): counts(mine),
        (DAY, ben.id): counts(his),
        (DAY + timedelta(days=7), ana.id): counts(later),
    }


async def test_a_sunday_week_holds_the_sunday_before_the_monday(client, couple, conn):
    response = await client.patch(
        couple.path, json={"week_starts": "sunday"}, headers=couple.first.headers
    )
    assert response.status_code == 200, response.text
    sunday = DAY - timedelta(days=1)
    await check_in(client, couple, couple.first, sunday, connection=4, stress=4)
    await check_in(client, couple, couple.first, DAY, connection=8, stress=2)
    await check_in(client, couple, couple.first, DAY + timedelta(days=6), connection=1, stress=1)

    rows = await week_rows(conn, couple)
    live = {key: row["checkins"] for key, row in rows.items() if row["checkins"]}
    assert live == {
        (sunday, couple.first.id): 2,
        (sunday + timedelta(days=7), couple.first.id): 1,
    }
    assert rows[(sunday, couple.first.id)]["connection_sum"] == 12
    assert rows[(sunday, couple.first.id)]["stress_sum"] == 6


@pytest.mark.parametrize(
    ("day", "body", "headers", "status"),
    [
        pytest.param(DAY, body_of(connection=11), {}, 422, id="bad-body"),
        pytest.param(date(1899, 12, 31), body_of(), {}, 422, id="bad-date"),
        pytest.param(DAY, body_of(connection=1), {"If-Match": '"0"'}, 412, id="stale"),
    ],
)
async def test_a_refused_write_counts_nowhere(client, couple, conn, day, body, headers, status):
    kept = {"connection": 7, "stress": 3, "signs": ["unhappiness"]}
    await check_in(client, couple, couple.first, DAY, **kept)
    before_rows = {key: figures(row) for key, row in (await week_rows(conn, couple)).items()}
    before = await writes(conn, couple)

    assert_problem(await put(client, couple, couple.first, day, body, **headers), status)

    assert await writes(conn, couple) == before
    after_rows = {key: figures(row) for key, row in (await week_rows(conn, couple)).items()}
    assert after_rows == before_rows == {(DAY, couple.first.id): counts(kept)}
