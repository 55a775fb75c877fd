"""Failed-login limits, per account and per client address, kept in the database so
that every worker and every instance sees the same counts."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models.token import LoginFailure

_failures: sa.Table = LoginFailure.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Limit:
    column: str
    value: str
    allowed: int


async def serialise(conn: AsyncConnection, email: str) -> None:
    """Make concurrent logins for one account take turns, so that a burst of parallel
    guesses is counted like the same guesses one after another. SQLite transactions
    here begin IMMEDIATE and already take turns; PostgreSQL takes an advisory lock until
    the transaction ends."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(email, 0)))
        )


async def retry_after(
    conn: AsyncConnection, limits: list[Limit], now: datetime, window: timedelta
) -> int | None:
    """Seconds until the caller may try again, or None when no limit is reached."""
    since = now - window
    wait: int | None = None
    for limit in limits:
        column = _failures.c[limit.column]
        # The `allowed`-th newest failure in the window: when it ages out, one try frees up.
        oldest_counted = await conn.scalar(
            sa.select(_failures.c.at)
            .where(column == limit.value, _failures.c.at > since)
            .order_by(_failures.c.at.desc())
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
    await conn.execute(sa.insert(_failures).values(email=email, client=client, at=now))
    # Rows that no window can count any more go as the same callers fail again.
    stale = now - window
    await conn.execute(
        sa.delete(_failures).where(
            sa.or_(_failures.c.email == email, _failures.c.client == client),
            _failures.c.at < stale,
        )
    )


async def forget_failures(conn: AsyncConnection, email: str) -> None:
    await conn.execute(sa.delete(_failures).where(_failures.c.email == email))
