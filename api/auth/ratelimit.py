"""Limits on failed logins (per account and per client address), on registrations,
password resets asked for and wrong codes (per client address), kept in the database
so that every worker and every instance sees the same counts."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.errors import Problem
from models.token import ClientAttempt, LoginFailure, RegistrationAttempt

FAILURES: sa.Table = LoginFailure.__table__  # type: ignore[attr-defined]
REGISTRATIONS: sa.Table = RegistrationAttempt.__table__  # type: ignore[attr-defined]
ATTEMPTS: sa.Table = ClientAttempt.__table__  # type: ignore[attr-defined]

# What `client_attempts` counts: password resets asked for, and codes that were wrong.
RESET, WRONG_CODE = "reset", "code"


@dataclass(frozen=True)
class Limit:
    """At most `allowed` rows of `table` that meet `where` within a window."""

    table: sa.Table
    where: tuple[sa.ColumnElement[bool], ...]
    allowed: int


def too_many(what: str, wait: int, code: str) -> Problem:
    return Problem(
        429,
        f"Too many {what}; try again in {wait} seconds.",
        code=code,
        headers={"Retry-After": str(wait)},
    )


def per_account(email: str, device: uuid.UUID | None, allowed: int) -> Limit:
    """Failed logins of the account from one device of its own, or from anywhere else:
    strangers' guesses never fill a known device's count."""
    same_device = FAILURES.c.device.is_(None) if device is None else FAILURES.c.device == device
    return Limit(FAILURES, (FAILURES.c.email == email, same_device), allowed)


def per_client(table: sa.Table, client: str, allowed: int) -> Limit:
    return Limit(table, (table.c.client == client,), allowed)


def attempts(kind: str, client: str, allowed: int) -> Limit:
    return Limit(ATTEMPTS, (ATTEMPTS.c.kind == kind, ATTEMPTS.c.client == client), allowed)


# The advisory locks' namespaces, so that an email and an address never share a lock.
LOGINS, REGISTERING, CODES = 0, 1, 2


async def serialise(conn: AsyncConnection, namespace: int, key: str) -> None:
    """Make concurrent attempts under one key take turns until the transaction ends,
    so that a burst of parallel tries is counted like the same tries one after another.
    SQLite transactions here begin IMMEDIATE and already take turns; PostgreSQL takes
    an advisory lock. Held for a few statements only: never across a password hash."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, namespace)))
        )


async def retry_after(
    conn: AsyncConnection, limits: list[Limit], now: datetime, window: timedelta
) -> int | None:
    """Seconds until the caller may try again, or None when no limit is reached."""
    since = now - window
    wait: int | None = None
    for limit in limits:
        at = limit.table.c.at
        # The `allowed`-th newest row in the window: when it ages out, one try frees up.
        oldest_counted = await conn.scalar(
            sa.select(at)
            .where(*limit.where, at > since)
            .order_by(at.desc())
            .offset(limit.allowed - 1)
            .limit(1)
        )
        if oldest_counted is not None:
            seconds = max(1, ceil((oldest_counted + window - now).total_seconds()))
            wait = max(wait or 0, seconds)
    return wait


async def record_failure(
    conn: AsyncConnection,
    email: str,
    client: str,
    device: uuid.UUID | None,
    now: datetime,
    window: timedelta,
) -> None:
    await conn.execute(
        sa.insert(FAILURES).values(email=email, client=client, device=device, at=now)
    )
    # Rows that no window can count any more go as the same callers fail again.
    await conn.execute(
        sa.delete(FAILURES).where(
            sa.or_(FAILURES.c.email == email, FAILURES.c.client == client),
            FAILURES.c.at < now - window,
        )
    )


async def forget_failures(conn: AsyncConnection, limit: Limit) -> None:
    """A right password clears the count it was made under, and only that one."""
    await conn.execute(sa.delete(limit.table).where(*limit.where))


async def record_registration(
    conn: AsyncConnection, client: str, now: datetime, window: timedelta
) -> None:
    await conn.execute(sa.insert(REGISTRATIONS).values(client=client, at=now))
    await conn.execute(
        sa.delete(REGISTRATIONS).where(
            REGISTRATIONS.c.client == client, REGISTRATIONS.c.at < now - window
        )
    )


async def record_attempt(
    conn: AsyncConnection, kind: str, client: str, now: datetime, window: timedelta
) -> None:
    await conn.execute(sa.insert(ATTEMPTS).values(kind=kind, client=client, at=now))
    await conn.execute(
        sa.delete(ATTEMPTS).where(
            ATTEMPTS.c.kind == kind, ATTEMPTS.c.client == client, ATTEMPTS.c.at < now - window
        )
    )
