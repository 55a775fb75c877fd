"""Accounts and couples made through the API (or written straight to the database), and
addresses no other test uses."""

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.passwords import hash_password
from api.core.db import Database
from api.core.settings import get_settings
from simulation.seed import SeededCouple, seed_couple
from simulation.simulator import SimulatedCouple
from tests.mail import MAILBOX, code_in

PASSWORD = "correct horse battery"


class Person:
    """A registered account with its token."""

    def __init__(self, user: dict[str, Any], tokens: dict[str, Any]) -> None:
        self.user = user
        self.tokens = tokens
        self.id: str = user["id"]
        self.headers = {"Authorization": f"Bearer {tokens['access_token']}"}


async def register(
    client: httpx.AsyncClient,
    name: str = "Sam",
    account_type: str = "partner",
    verified: bool | None = None,
    **extra: Any,
) -> Person:
    """A new account, logged in. `verified` (by default: therapists only, whom partners
    can grant only then) confirms its address with the code mailed to it."""
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.org"
    body = {
        "email": email,
        "password": PASSWORD,
        "display_name": name,
        "account_type": account_type,
        **extra,
    }
    created = await client.post("/api/v1/auth/register", json=body)
    assert created.status_code == 201, created.text
    if account_type == "therapist" if verified is None else verified:
        await verify_email(client, email)
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return Person(created.json(), login.json())


async def verify_email(client: httpx.AsyncClient, email: str) -> None:
    """Confirm the address with the last code mailed to it."""
    code = code_in((MAILBOX.to(email) or [await MAILBOX.wait_for(email)])[-1])
    verified = await client.post("/api/v1/auth/verify-email", json={"code": code})
    assert verified.status_code == 200, verified.text


class Couple:
    def __init__(self, data: dict[str, Any], first: Person, second: Person | None) -> None:
        self.data = data
        self.id: str = data["id"]
        self.first = first
        self.second = second

    @property
    def bids(self) -> str:
        return f"/api/v1/couples/{self.id}/bids"

    @property
    def path(self) -> str:
        return f"/api/v1/couples/{self.id}"


async def make_couple(client: httpx.AsyncClient, joined: bool = True, **body: Any) -> Couple:
    first = await register(client, "Ana")
    created = await client.post("/api/v1/couples", json=body, headers=first.headers)
    assert created.status_code == 201, created.text
    second = None
    if joined:
        second = await register(client, "Ben")
        join = await client.post(
            "/api/v1/couples/join",
            json={"code": created.json()["invite"]["code"]},
            headers=second.headers,
        )
        assert join.status_code == 200, join.text
    return Couple(created.json(), first, second)


def new_address() -> str:
    """An address no other test uses (a /64 of its own: the limits key on IPv6
    networks): some tests commit rows keyed by address."""
    number = uuid.uuid4().int
    return f"2001:db8:{number % 0xFFFF:x}:{(number >> 16) % 0xFFFF:x}::1"


async def partner_ids_of_a_new_couple(database: Database) -> list[uuid.UUID]:
    """[couple id, first partner, second partner], written straight to the database."""
    assert database.driver_pool is not None
    couple, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with database.driver_pool.acquire() as conn:
        for user in (first, second):
            await conn.execute(
                "INSERT INTO users (id, email, password_hash, display_name, timezone,"
                " account_type, love_languages, created_at, updated_at)"
                " VALUES ($1, $2, 'x', 'U', 'UTC', 'partner', '{}', now(), now())",
                user,
                f"{user}@example.org",
            )
        await conn.execute(
            "INSERT INTO couples (id, timezone, week_starts, weight_toward, weight_away,"
            " weight_against, created_at, updated_at)"
            " VALUES ($1, 'UTC', 'monday', 1, -5, -5, now(), now())",
            couple,
        )
        for slot, user in enumerate((first, second), start=1):
            await conn.execute(
                "INSERT INTO couple_members VALUES ($1, $2, $3, now())", couple, user, slot
            )
    return [couple, first, second]


async def seed_and_log_in(
    client: httpx.AsyncClient, conn: AsyncConnection, simulated: SimulatedCouple, tag: str
) -> tuple[SeededCouple, list[dict[str, str]]]:
    """A simulated couple written straight to the database (emails made of `tag`), and
    both partners logged in through the API: their headers, in partner order."""
    emails = (f"{tag}-a@example.org", f"{tag}-b@example.org")
    seeded = await seed_couple(
        conn,
        simulated,
        names=("Ana", "Ben"),
        emails=emails,
        password_hash=hash_password(PASSWORD, get_settings()),
    )
    headers = []
    for email in emails:
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        headers.append({"Authorization": f"Bearer {login.json()['access_token']}"})
    return seeded, headers
