"""The rules the database holds (migrations 0006 and 0007): the effective response
equals its Python definition, and the rollups follow a couple's calendar whatever path
changes it."""

import uuid
from collections import Counter
from datetime import UTC, date, datetime
from itertools import product

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models import metadata
from models.calendar import week_start
from models.vocabulary import DistancingSign, Response, effective_response, signs_to_bits
from tests.factories import Couple

VIEWS = [None, *(response.value for response in Response)]


async def test_the_effective_response_of_postgresql_is_the_python_one(
    conn: AsyncConnection,
) -> None:
    if conn.dialect.name != "postgresql":
        pytest.skip("SQLite runs the Python definition itself: nothing to compare")
    for bidder, responder in product(VIEWS, VIEWS):
        found = await conn.scalar(
            sa.text("SELECT toward_effective_response(:bidder, :responder)"),
            {"bidder": bidder, "responder": responder},
        )
        assert found == effective_response(bidder, responder), (bidder, responder)


async def test_postgresql_inlines_the_effective_response(conn: AsyncConnection) -> None:
    """A call per row would cost on every rollup and filter: the planner must see
    through it to the expression."""
    if conn.dialect.name != "postgresql":
        pytest.skip("a plan of PostgreSQL's")
    plan = "\n".join(
        (
            await conn.execute(
                sa.text(
                    "EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM bids WHERE "
                    "toward_effective_response(bidder_response, responder_response) = 'toward'"
                )
            )
        ).scalars()
    )
    assert "COALESCE" in plan.upper(), plan
    assert "toward_effective_response" not in plan, plan


async def _weeks(conn: AsyncConnection, couple_id: str) -> Counter[tuple[str, str]]:
    rows = await conn.execute(
        sa.text(
            "SELECT responder_id, week_start, bids FROM bid_weeks WHERE couple_id = :id"
        ).bindparams(sa.bindparam("id", type_=sa.Uuid())),
        {"id": uuid.UUID(couple_id)},
    )
    return Counter({(str(uuid.UUID(str(row[0]))), str(row[1])): row[2] for row in rows if row[2]})


async def test_a_calendar_changed_outside_the_api_moves_every_bid_too(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    """The recount is the database's: an operator's UPDATE moves the weeks as the
    API's PATCH does."""
    assert couple.second is not None
    # Sunday 23:30 UTC: Monday in Auckland, so the bid changes week with the zone.
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    created = await client.post(
        couple.bids,
        json={"kind": "humor", "occurred_at": moment.isoformat(), "response": "toward"},
        headers=couple.first.headers,
    )
    assert created.status_code == 201, created.text
    responder = couple.second.id
    utc_week = str(week_start(moment, "UTC", "monday"))
    assert await _weeks(conn, couple.id) == Counter({(responder, utc_week): 1})

    couples = metadata.tables["couples"]
    await conn.execute(
        sa.update(couples)
        .where(couples.c.id == uuid.UUID(couple.id))
        .values(timezone="Pacific/Auckland")
    )
    auckland_week = str(week_start(moment, "Pacific/Auckland", "monday"))
    assert auckland_week != utc_week
    assert await _weeks(conn, couple.id) == Counter({(responder, auckland_week): 1})
    weekly = await client.get(
        f"{couple.path}/trends/weekly",
        params={"weeks": 2, "end": auckland_week},
        headers=couple.first.headers,
    )
    assert weekly.status_code == 200, weekly.text
    assert [week["bids"] for week in weekly.json()["weeks"]] == [0, 1]


async def test_a_calendar_changed_outside_the_api_moves_check_ins_and_activities_too(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    """A new time zone moves an activity (an instant) but not a check-in (a date); a
    new week start moves both, whoever writes the couple's row."""
    assert couple.second is not None
    now = datetime.now(UTC)
    couple_id = uuid.UUID(couple.id)
    # Sunday 23:30 UTC: Monday in Auckland. The check-in is for that Sunday.
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    await conn.execute(
        sa.insert(metadata.tables["activities"]).values(
            id=uuid.uuid4(),
            couple_id=couple_id,
            logged_by=uuid.UUID(couple.second.id),
            kind="date_night",
            occurred_at=moment,
            duration_minutes=120,
            version=1,
            request_digest="0" * 64,
            created_at=now,
            updated_at=now,
        )
    )
    await conn.execute(
        sa.insert(metadata.tables["checkins"]).values(
            id=uuid.uuid4(),
            couple_id=couple_id,
            partner_id=uuid.UUID(couple.first.id),
            local_date=date(2026, 3, 1),
            connection=6,
            stress=8,
            signs=signs_to_bits([DistancingSign.poor_listening]),
            private=False,
            version=1,
            created_at=now,
            updated_at=now,
        )
    )

    async def weeks_of(table: str) -> set[str]:
        found = await conn.execute(
            sa.text(f"SELECT week_start FROM {table} WHERE couple_id = :id").bindparams(
                sa.bindparam("id", type_=sa.Uuid())
            ),
            {"id": couple_id},
        )
        return {str(row[0]) for row in found}

    async def served(end: str) -> list[tuple[int, int, int]]:
        weekly = await client.get(
            f"{couple.path}/trends/weekly",
            params={"weeks": 2, "end": end},
            headers=couple.first.headers,
        )
        assert weekly.status_code == 200, weekly.text
        return [
            (
                week["checkins"]["count"],
                week["checkins"]["signs"].get("poor_listening", 0),
                week["activities"]["kinds"]["date_night"],
            )
            for week in weekly.json()["weeks"]
        ]

    assert await weeks_of("activity_weeks") == await weeks_of("checkin_weeks") == {"2026-02-23"}
    couples = metadata.tables["couples"]
    changed = sa.update(couples).where(couples.c.id == couple_id)

    await conn.execute(changed.values(timezone="Pacific/Auckland"))
    assert await weeks_of("activity_weeks") == {"2026-03-02"}
    assert await weeks_of("checkin_weeks") == {"2026-02-23"}
    assert await served("2026-03-02") == [(1, 1, 0), (0, 0, 1)]

    await conn.execute(changed.values(week_starts="sunday"))
    assert await weeks_of("activity_weeks") == await weeks_of("checkin_weeks") == {"2026-03-01"}
    assert await served("2026-03-01") == [(0, 0, 0), (1, 1, 1)]
