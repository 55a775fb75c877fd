"""Calls to the activity endpoints, what an activity answer holds, and the rows the
triggers keep for activities, shared by the activity tests."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models.activity import Activity, ActivityWeek
from models.trend import BidVersion
from tests.factories import Couple, Person

ACTIVITY_FIELDS = {
    "id",
    "couple_id",
    "logged_by",
    "kind",
    "occurred_at",
    "duration_minutes",
    "note",
    "created_at",
    "updated_at",
}
KINDS = ("date_night", "shared_activity", "checkin_talk", "other")
# A Monday, noon UTC.
T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)

ACTIVITIES: sa.Table = Activity.__table__  # type: ignore[attr-defined]
ACTIVITY_WEEKS: sa.Table = ActivityWeek.__table__  # type: ignore[attr-defined]
BID_VERSIONS: sa.Table = BidVersion.__table__  # type: ignore[attr-defined]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


def from_now(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


def second(couple: Couple) -> Person:
    """The couple's second partner (the `couple` fixture always has one)."""
    assert couple.second is not None
    return couple.second


def activities_of(couple: Couple | str) -> str:
    couple_id = couple if isinstance(couple, str) else couple.id
    return f"/api/v1/couples/{couple_id}/activities"


def activity_path(couple: Couple, activity_id: str) -> str:
    return f"{activities_of(couple)}/{activity_id}"


async def post_activity(
    client: httpx.AsyncClient, couple: Couple, person: Person | None = None, **body: Any
) -> httpx.Response:
    body.setdefault("kind", "date_night")
    body.setdefault("occurred_at", iso(T0))
    return await client.post(
        activities_of(couple), json=body, headers=(person or couple.first).headers
    )


async def log_activity(
    client: httpx.AsyncClient, couple: Couple, person: Person | None = None, **body: Any
) -> dict[str, Any]:
    response = await post_activity(client, couple, person, **body)
    assert response.status_code == 201, response.text
    activity: dict[str, Any] = response.json()
    return activity


async def get_activity(
    client: httpx.AsyncClient,
    couple: Couple,
    activity_id: str,
    person: Person | None = None,
    **headers: str,
) -> httpx.Response:
    return await client.get(
        activity_path(couple, activity_id), headers={**(person or couple.first).headers, **headers}
    )


async def patch_activity(
    client: httpx.AsyncClient,
    couple: Couple,
    activity_id: str,
    body: dict[str, Any],
    person: Person | None = None,
    **headers: str,
) -> httpx.Response:
    return await client.patch(
        activity_path(couple, activity_id),
        json=body,
        headers={**(person or couple.first).headers, **headers},
    )


async def delete_activity(
    client: httpx.AsyncClient,
    couple: Couple,
    activity_id: str,
    person: Person | None = None,
    **headers: str,
) -> httpx.Response:
    return await client.delete(
        activity_path(couple, activity_id), headers={**(person or couple.first).headers, **headers}
    )


async def list_page(
    client: httpx.AsyncClient, couple: Couple, person: Person | None = None, **params: Any
) -> dict[str, Any]:
    response = await client.get(
        activities_of(couple), params=params, headers=(person or couple.first).headers
    )
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def listed_ids(
    client: httpx.AsyncClient, couple: Couple, person: Person | None = None, **params: Any
) -> list[str]:
    params.setdefault("limit", 200)
    page = await list_page(client, couple, person, **params)
    assert page["next_cursor"] is None
    return [item["id"] for item in page["items"]]


async def first_couple_id(client: httpx.AsyncClient, person: Person) -> str:
    couples = await client.get("/api/v1/couples", headers=person.headers)
    couple_id: str = couples.json()["items"][0]["id"]
    return couple_id


async def weeks_of(
    conn: AsyncConnection, couple: Couple
) -> dict[tuple[date, str], tuple[int, int]]:
    """The couple's `activity_weeks` as the triggers left them: (activities, minutes)
    per (week_start, kind), rows counted down to nothing left out."""
    rows = await conn.execute(
        sa.select(
            ACTIVITY_WEEKS.c.week_start,
            ACTIVITY_WEEKS.c.kind,
            ACTIVITY_WEEKS.c.activities,
            ACTIVITY_WEEKS.c.minutes,
        ).where(ACTIVITY_WEEKS.c.couple_id == uuid.UUID(couple.id))
    )
    return {
        (row.week_start, row.kind): (row.activities, row.minutes)
        for row in rows
        if (row.activities, row.minutes) != (0, 0)
    }


async def version_of(conn: AsyncConnection, couple: Couple) -> int:
    """The couple's `bid_versions.version`: 0 before its first counted write."""
    version = await conn.scalar(
        sa.select(BID_VERSIONS.c.version).where(BID_VERSIONS.c.couple_id == uuid.UUID(couple.id))
    )
    return int(version or 0)
