"""Check-ins and shared time in the therapist's views: counted in the caseload and the
CSV export as in the partners' trends, raising the caseload's risk, and never carrying
a note."""

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

import models.couple
from models import calendar
from models.base import utcnow
from tests.factories import Couple, Person
from tests.therapists.helpers import CASELOAD, export_of, grant_both, trends_of

NOTE = "CHECKINNOTE-5150"
ACTIVITY_NOTE = "ACTIVITYNOTE-3141"


def _last_week_monday() -> Any:
    today = calendar.local_date(utcnow(), "UTC")
    return calendar.week_of(today, "monday") - calendar.WEEK


async def _check_in(client: httpx.AsyncClient, couple: Couple, who: Person, day: Any, **body: Any):
    answer = await client.put(
        f"{couple.path}/checkins/{day.isoformat()}",
        json={"connection": 7, "stress": 4, "signs": [], **body},
        headers=who.headers,
    )
    assert answer.status_code in (200, 201), answer.text


async def _activity(client: httpx.AsyncClient, couple: Couple, who: Person, **body: Any) -> None:
    answer = await client.post(f"{couple.path}/activities", json=body, headers=who.headers)
    assert answer.status_code == 201, answer.text


async def _caseload_entry(client: httpx.AsyncClient, therapist: Person) -> dict[str, Any]:
    answer = await client.get(CASELOAD, headers=therapist.headers)
    assert answer.status_code == 200, answer.text
    (item,) = answer.json()["items"]
    return item


async def test_the_caseload_and_export_count_checkins_and_shared_time(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    ana, ben = couple.first, couple.second
    assert ben is not None
    monday = _last_week_monday()
    await _check_in(client, couple, ana, monday, connection=8, stress=2, note=NOTE)
    await _check_in(
        client, couple, ben, monday, connection=5, stress=6, signs=["poor_listening"], private=True
    )
    await _check_in(
        client, couple, ben, monday + timedelta(days=2), connection=6, signs=["poor_listening"]
    )
    at = f"{(monday + timedelta(days=4)).isoformat()}T19:00:00Z"
    await _activity(
        client,
        couple,
        ana,
        kind="date_night",
        occurred_at=at,
        duration_minutes=150,
        note=ACTIVITY_NOTE,
    )
    await _activity(client, couple, ben, kind="shared_activity", occurred_at=at)
    await grant_both(client, couple, therapist)

    item = await _caseload_entry(client, therapist)
    last_week = item["last_week"]
    assert last_week["first_week"] == monday.isoformat()
    assert last_week["checkins"]["count"] == 3
    assert last_week["checkins"]["connection_avg"] == (8 + 5 + 6) / 3
    assert last_week["checkins"]["stress_avg"] == (2 + 6 + 4) / 3
    assert last_week["checkins"]["signs"]["poor_listening"] == 2
    assert last_week["activities"] == {
        "count": 2,
        "minutes": 150,
        "kinds": {"date_night": 1, "shared_activity": 1, "checkin_talk": 0, "other": 0},
    }
    assert item["last_4_weeks"]["checkins"]["count"] == 3

    params = {"weeks": 2}
    trends = (await client.get(trends_of(couple), params=params, headers=therapist.headers)).json()
    exported = await client.get(export_of(couple), params=params, headers=therapist.headers)
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    first, _ = rows
    assert first["week_start"] == monday.isoformat()
    assert first["checkins.count"] == "3"
    assert first["checkins.signs.poor_listening"] == "2"
    assert first["checkins.signs.infidelity"] == "0"
    assert first["activities.minutes"] == "150"
    assert first["activities.kinds.date_night"] == "1"
    assert (
        float(first["checkins.connection_avg"]) == trends["weeks"][0]["checkins"]["connection_avg"]
    )
    for body in (exported.text, str(trends), str(item)):
        assert NOTE not in body
        assert ACTIVITY_NOTE not in body


async def _log_a_bid_now(client: httpx.AsyncClient, couple: Couple) -> None:
    logged = await client.post(
        couple.bids, json={"kind": "humor", "response": "toward"}, headers=couple.first.headers
    )
    assert logged.status_code == 201, logged.text


def _four_weeks_ago_and_a_day() -> Any:
    this_week = calendar.week_of(calendar.local_date(utcnow(), "UTC"), "monday")
    return this_week - 4 * calendar.WEEK - timedelta(days=1)


async def test_four_weeks_without_shared_time_add_to_the_risk(
    client: httpx.AsyncClient, couple: Couple, therapist: Person, conn: AsyncConnection
) -> None:
    await grant_both(client, couple, therapist)
    await _log_a_bid_now(client, couple)  # not quiet: only shared time is missing
    couples: sa.Table = models.couple.Couple.__table__  # type: ignore[attr-defined]
    await conn.execute(
        sa.update(couples)
        .where(couples.c.id == uuid.UUID(couple.id))
        .values(created_at=utcnow() - timedelta(days=60))
    )
    item = await _caseload_entry(client, therapist)
    assert "no-shared-time" not in [flag["code"] for flag in item["flags"]]

    await _activity(
        client,
        couple,
        couple.first,
        kind="date_night",
        occurred_at=f"{_four_weeks_ago_and_a_day()}T20:00:00Z",
    )
    item = await _caseload_entry(client, therapist)
    assert [flag["code"] for flag in item["flags"]] == ["no-shared-time"]
    assert [factor for factor in item["risk_factors"] if factor["code"] != "turn-toward-level"] == [
        {"code": "no-shared-time", "points": 5}
    ]

    # One activity inside the last four weeks ends it.
    this_week = calendar.week_of(calendar.local_date(utcnow(), "UTC"), "monday")
    recent = this_week - 3 * calendar.WEEK
    await _activity(
        client, couple, couple.first, kind="shared_activity", occurred_at=f"{recent}T09:00:00Z"
    )
    item = await _caseload_entry(client, therapist)
    assert item["flags"] == []


async def test_a_new_couple_that_logs_an_old_date_night_is_not_flagged(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    """A couple that began this week and backfills a date night from weeks ago has not
    gone four weeks without shared time."""
    await grant_both(client, couple, therapist)
    await _log_a_bid_now(client, couple)
    await _activity(
        client,
        couple,
        couple.first,
        kind="date_night",
        occurred_at=f"{_four_weeks_ago_and_a_day()}T20:00:00Z",
    )
    item = await _caseload_entry(client, therapist)
    assert item["flags"] == []
    assert item["risk"] == 0
