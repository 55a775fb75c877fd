"""Calls to the `/couples` endpoints and what a couple answer holds, shared by the couple
tests."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models.couple import CoupleInvite
from tests.factories import Couple, Person

COUPLES = "/api/v1/couples"
DEFAULT_WEIGHTS = {"toward": 1, "away": -5, "against": -5}
COUPLE_FIELDS = {
    "id",
    "name",
    "timezone",
    "week_starts",
    "partners",
    "weights",
    "created_at",
    "dissolved_at",
}


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


async def create(client: httpx.AsyncClient, person: Person, **body: Any) -> httpx.Response:
    return await client.post(COUPLES, json=body, headers=person.headers)


async def join(client: httpx.AsyncClient, person: Person, code: str) -> httpx.Response:
    return await client.post(f"{COUPLES}/join", json={"code": code}, headers=person.headers)


async def new_invite(client: httpx.AsyncClient, couple: Couple) -> httpx.Response:
    return await client.post(f"{couple.path}/invite", headers=couple.first.headers)


async def read(client: httpx.AsyncClient, couple: Couple, person: Person) -> dict[str, Any]:
    response = await client.get(couple.path, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


def partners_of(person: Person) -> dict[str, Any]:
    """The partner's entry in a couple as registered: a profile with nothing chosen,
    shared (the default)."""
    return {
        "id": person.id,
        "display_name": person.user["display_name"],
        "love_languages": {"give": [], "receive": []},
        "attachment_style": None,
    }


async def expire_invites(conn: AsyncConnection, couple: Couple, ago: timedelta) -> None:
    """Make the couple's invite codes expire `ago`, straight in the database."""
    invites = CoupleInvite.__table__  # type: ignore[attr-defined]
    await conn.execute(
        sa.update(invites)
        .where(invites.c.couple_id == uuid.UUID(couple.id))
        .values(expires_at=datetime.now(UTC) - ago)
    )
