"""Calls to the check-in endpoints, and what a check-in answer holds, shared by the
check-in tests."""

import uuid
from datetime import date
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models.checkin import CheckinWeek
from models.trend import BidVersion
from tests.factories import Couple, Person

CHECKIN_FIELDS = {
    "id",
    "couple_id",
    "partner_id",
    "date",
    "connection",
    "stress",
    "signs",
    "note",
    "private",
    "created_at",
    "updated_at",
}
# A Monday, well in the past: no bound on dates gets in the way.
DAY = date(2024, 5, 6)


def checkins_of(couple: Couple) -> str:
    return f"{couple.path}/checkins"


def path_of(couple: Couple, day: date | str) -> str:
    return f"{checkins_of(couple)}/{day if isinstance(day, str) else day.isoformat()}"


def body_of(**fields: Any) -> dict[str, Any]:
    return {"connection": 7, "stress": 3, **fields}


async def put(
    client: httpx.AsyncClient,
    couple: Couple,
    person: Person,
    day: date | str = DAY,
    body: dict[str, Any] | None = None,
    **headers: str,
) -> httpx.Response:
    return await client.put(
        path_of(couple, day),
        json=body_of() if body is None else body,
        headers={**person.headers, **headers},
    )


async def check_in(
    client: httpx.AsyncClient,
    couple: Couple,
    person: Person,
    day: date | str = DAY,
    **fields: Any,
) -> dict[str, Any]:
    response = await put(client, couple, person, day, body_of(**fields))
    assert response.status_code in (200, 201), response.text
    return response.json()


async def read(
    client: httpx.AsyncClient, couple: Couple, person: Person, day: date | str = DAY, **headers: str
) -> httpx.Response:
    return await client.get(path_of(couple, day), headers={**person.headers, **headers})


async def delete(
    client: httpx.AsyncClient, couple: Couple, person: Person, day: date | str = DAY, **headers: str
) -> httpx.Response:
    return await client.delete(path_of(couple, day), headers={**person.headers, **headers})


async def list_page(
    client: httpx.AsyncClient, couple: Couple, person: Person, **params: Any
) -> dict[str, Any]:
    response = await client.get(checkins_of(couple), params=params, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def listed(
    client: httpx.AsyncClient, couple: Couple, person: Person, **params: Any
) -> list[dict[str, Any]]:
    """Every item on one page of up to 200."""
    params.setdefault("limit", 200)
    page = await list_page(client, couple, person, **params)
    assert page["next_cursor"] is None
    items: list[dict[str, Any]] = page["items"]
    return items


def seen(items: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(partner id, date) of each item."""
    return {(item["partner_id"], item["date"]) for item in items}


async def week_rows(conn: AsyncConnection, couple: Couple) -> dict[tuple[date, str], Any]:
    """The couple's `checkin_weeks` rows by (week start, partner id), read straight from
    the table."""
    table: sa.Table = CheckinWeek.__table__  # type: ignore[attr-defined]
    rows = (
        await conn.execute(sa.select(table).where(table.c.couple_id == uuid.UUID(couple.id)))
    ).mappings()
    return {(row["week_start"], str(row["partner_id"])): row for row in rows}


async def writes(conn: AsyncConnection, couple: Couple) -> int:
    """`bid_versions.version` of the couple: every write that moves its figures counts."""
    table: sa.Table = BidVersion.__table__  # type: ignore[attr-defined]
    version = (
        await conn.execute(
            sa.select(table.c.version).where(table.c.couple_id == uuid.UUID(couple.id))
        )
    ).scalar()
    return int(version or 0)
