"""Limits on failed logins (per account and per client address) and on registrations
(per client address), kept in the database so that every worker and every instance
sees the same counts."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models.token import LoginFailure, RegistrationAttempt

FAILURES: sa.Table = LoginFailure.__table__  # type: ignore[attr-defined]
REGISTRATIONS: sa.Table = RegistrationAttempt.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Limit:
    """At most `allowed` rows of `column` equal to `value` within a window."""

    column: sa.Column[str]
    value: str
    allowed: int


async def serialise(conn: AsyncConnection, key: str) -> None:
    """Make concurrent attempts under one key take turns until the transaction ends,
    so that a burst of parallel tries is counted like the same tries one after another.
    SQLite transactions here begin IMMEDIATE and already take turns; PostgreSQL takes
    an advisory lock. Held for a few statements only: never across a password hash."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0)))
        )


async def retry_after(
    conn: AsyncConnection, limits: list[Limit], now: datetime, window: timedelta
) -> int | None:
    """Seconds until the caller may try again, or None when no limit is reached."""
    since = now - window
    wait: int | None = None
    for limit in limits:
        at = limit.column.table.c.at
        # The `allowed`-th newest row in the window: when it ages out, one try frees up.
        oldest_counted = await conn.scalar(
            sa.select(at)
            .where(limit.column == limit.value, at > since)
            .order_by(at.desc())
            .offset(limit.allowed - 1)
            .limit(1)
        )
        if oldest_counted is not None:
            seconds = max(1, ceil((oldest_counted + window - now).total_seconds()))
            wait = max(wait or 0, seconds)
    return wait


async def record_failure(
    conn: AsyncConnection, email: str, client: str, now: datetime, window: timedelta
) -> None:
    await conn.execute(sa.insert(FAILURES).values(email=email, client=client, at=now))
    # Rows that no window can count any more go as the same callers fail again.
    await conn.execute(
        sa.delete(FAILURES).where(
            sa.or_(FAILURES.c.email == email, FAILURES.c.client == client),
            FAILURES.c.at < now - window,
        )
    )


async def forget_failures(conn: AsyncConnection, email: str) -> None:
    await conn.execute(sa.delete(FAILURES).where(FAILURES.c.email == email))


async def record_registration(
    conn: AsyncConnection, client: str, now: datetime, window: timedelta
) -> None:
    await conn.execute(sa.insert(REGISTRATIONS).values(client=client, at=now))
    await conn.execute(
        sa.delete(REGISTRATIONS).where(
            REGISTRATIONS.c.client == client, REGISTRATIONS.c.at < now - window
        )
    )
