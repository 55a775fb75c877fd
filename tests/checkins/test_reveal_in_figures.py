"""The reveal rule holds in the figures too: a partner's trends and digest count the
other's check-in for a date only once they have checked in for that date themselves,
as the list shows it; a therapist's aggregates count every check-in."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models.checkin import CheckinWeek
from tests.checkins.helpers import DAY, body_of, put
from tests.factories import Couple, Person
from tests.therapists.helpers import grant_both, new_therapist, trends_of

WEEK = {"weeks": 1, "end": DAY.isoformat()}


async def _week(client: httpx.AsyncClient, path: str, who: Person) -> dict[str, Any]:
    read = await client.get(path, params=WEEK, headers=who.headers)
    assert read.status_code == 200, read.text
    week: dict[str, Any] = read.json()["weeks"][-1]
    return week


async def _digest(client: httpx.AsyncClient, couple: Couple, who: Person) -> str:
    read = await client.get(
        f"{couple.path}/digest", params={"week": DAY.isoformat()}, headers=who.headers
    )
    assert read.status_code == 200, read.text
    return " ".join(sentence["text"] for sentence in read.json()["sentences"])


async def test_a_partner_counts_the_others_checkin_only_once_revealed(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    ana, ben = couple.first, couple.second
    assert ben is not None
    trends = f"{couple.path}/trends/weekly"
    secret = body_of(connection=2, stress=9, signs=["infidelity"], note="x", private=True)
    assert (await put(client, couple, ben, body=secret)).status_code == 201

    # Ana has not checked in for the date: nothing of Ben's shows in her figures.
    seen_by_ana = await _week(client, trends, ana)
    assert seen_by_ana["checkins"]["count"] == 0
    assert seen_by_ana["checkins"]["signs"] == {}
    assert "faithful" not in (await _digest(client, couple, ana)).lower()
    # Ben counts his own.
    seen_by_ben = await _week(client, trends, ben)
    assert seen_by_ben["checkins"]["count"] == 1
    assert seen_by_ben["checkins"]["connection_avg"] == 2

    # Once Ana checks in for the same date, both count both.
    assert (await put(client, couple, ana, body=body_of(connection=8))).status_code == 201
    for who in (ana, ben):
        week = await _week(client, trends, who)
        assert week["checkins"]["count"] == 2
        assert week["checkins"]["connection_avg"] == 5
        assert week["checkins"]["signs"]["infidelity"] == 1

    # Ben withdraws his: Ana is back to her own alone; and a therapist sees all.
    assert (
        await client.delete(f"{couple.path}/checkins/{DAY}", headers=ben.headers)
    ).status_code == 204
    assert (await _week(client, trends, ana))["checkins"]["count"] == 1
    assert (await put(client, couple, ben, body=secret)).status_code == 201
    therapist = await new_therapist(client)
    await grant_both(client, couple, therapist)
    assert (await _week(client, trends_of(couple), therapist))["checkins"]["count"] == 2


async def test_a_checkin_of_another_date_in_the_week_stays_unrevealed(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    ana, ben = couple.first, couple.second
    assert ben is not None
    assert (await put(client, couple, ana)).status_code == 201
    other_day = DAY.replace(day=DAY.day + 2)
    assert (await put(client, couple, ben, day=other_day)).status_code == 201
    week = await _week(client, f"{couple.path}/trends/weekly", ana)
    assert week["checkins"]["count"] == 1


async def test_partners_checking_in_at_once_are_both_paired(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    """Each check-in write counts its week again after the one before it committed (on
    PostgreSQL under a lock of the couple's check-ins), so neither of two concurrent
    check-ins for a date is left counted as unpaired."""
    ana, ben = couple.first, couple.second
    assert ben is not None
    days = [DAY + timedelta(days=offset) for offset in range(6)]
    answers = await asyncio.gather(
        *(put(client, couple, who, day=day) for day in days for who in (ana, ben))
    )
    assert all(answer.status_code == 201 for answer in answers), [a.text for a in answers]
    weeks: sa.Table = CheckinWeek.__table__  # type: ignore[attr-defined]
    rows = (
        await conn.execute(
            sa.select(weeks.c.paired, sa.func.sum(weeks.c.checkins))
            .where(weeks.c.couple_id == uuid.UUID(couple.id))
            .group_by(weeks.c.paired)
        )
    ).all()
    assert {bool(paired): total for paired, total in rows if total} == {True: 12}
