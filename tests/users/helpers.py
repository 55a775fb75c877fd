"""Calls to `/me`, access tokens signed as the API would sign them, and the search of
the whole database for what an erased account leaves, shared by the user tests."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.settings import Settings
from tests.factories import PASSWORD, Couple, Person

ME = "/api/v1/me"


def access_token(
    settings: Settings, subject: str, *, minutes: int = 5, key: str | None = None, **claims: Any
) -> str:
    """An access token as the API would sign it, with the given changes."""
    payload = {
        "sub": subject,
        "typ": "access",
        "role": "partner",
        "exp": datetime.now(UTC) + timedelta(minutes=minutes),
        **claims,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, key or settings.secret_key, algorithm="HS256")


async def read_me(client: httpx.AsyncClient, person: Person) -> dict[str, Any]:
    response = await client.get(ME, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def erase(
    client: httpx.AsyncClient, person: Person, password: str = PASSWORD
) -> httpx.Response:
    return await client.request("DELETE", ME, json={"password": password}, headers=person.headers)


async def couple_of(
    client: httpx.AsyncClient, first: Person, second: Person | None = None, **body: Any
) -> Couple:
    """A couple made by `first`, joined by `second` when given."""
    created = await client.post("/api/v1/couples", json=body, headers=first.headers)
    assert created.status_code == 201, created.text
    if second is not None:
        code = created.json()["invite"]["code"]
        join = await client.post(
            "/api/v1/couples/join", json={"code": code}, headers=second.headers
        )
        assert join.status_code == 200, join.text
    return Couple(created.json(), first, second)


def needles_of(person: Person, *texts: str) -> list[str]:
    """What must not be found of an erased account: its id (with and without dashes,
    as PostgreSQL and SQLite keep a UUID), its email, its display name, and `texts`
    (the notes it wrote)."""
    return [
        person.id,
        person.id.replace("-", ""),
        person.user["email"],
        person.user["display_name"],
        *texts,
    ]


async def table_names(conn: AsyncConnection) -> list[str]:
    """Every table the database lists in its own catalogue: one added later is searched
    too."""
    if conn.dialect.name == "postgresql":
        query = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return sorted((await conn.execute(sa.text(query))).scalars())


async def traces(conn: AsyncConnection, needles: list[str]) -> set[tuple[str, str, str]]:
    """(table, column, needle) for each needle found, case aside, in any value of any
    row of any table: ids, text and JSON as the database returns them, read as text."""
    found: set[tuple[str, str, str]] = set()
    for table in await table_names(conn):
        rows = await conn.execute(sa.text(f'SELECT * FROM "{table}"'))
        columns = list(rows.keys())
        for row in rows:
            for column, value in zip(columns, row, strict=True):
                text = "" if value is None else str(value).lower()
                found |= {(table, column, n) for n in needles if n.lower() in text}
    return found
