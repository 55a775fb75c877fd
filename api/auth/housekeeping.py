"""Rows that nothing can use any more: expired refresh tokens (spent ones included:
after its expiry a token cannot be replayed, so its reuse needs no catching), failed
logins, registrations, exports and other limited attempts older than any window
counts, mailed codes that have expired, and tombstones past the changes feed's
horizon."""

import asyncio
import logging
import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth import codes
from api.auth.ratelimit import ATTEMPTS, FAILURES, REGISTRATIONS
from api.changes.service import purge_tombstones
from api.core.db import Database
from api.core.settings import Settings
from api.export import service as exports
from models.base import utcnow
from models.token import RefreshToken

logger = logging.getLogger("toward")

TOKENS: sa.Table = RefreshToken.__table__  # type: ignore[attr-defined]


async def prune(conn: AsyncConnection, now: datetime, settings: Settings) -> None:
    await conn.execute(sa.delete(TOKENS).where(TOKENS.c.expires_at <= now))
    login_window = timedelta(seconds=settings.login_window_seconds)
    await conn.execute(sa.delete(FAILURES).where(FAILURES.c.at < now - login_window))
    registration_window = timedelta(seconds=settings.registration_window_seconds)
    await conn.execute(
        sa.delete(REGISTRATIONS).where(REGISTRATIONS.c.at < now - registration_window)
    )
    code_window = timedelta(seconds=settings.code_window_seconds)
    await conn.execute(sa.delete(ATTEMPTS).where(ATTEMPTS.c.at < now - code_window))
    await codes.prune(conn, now)
    await exports.prune(conn, now, settings)


async def keep_house(database: Database, settings: Settings) -> None:
    """Prune every `housekeeping_seconds`, until cancelled. Workers start at random
    points of the interval, so that they do not all prune at once."""
    interval = settings.housekeeping_seconds
    await asyncio.sleep(random.uniform(0, interval))
    while True:
        try:
            async with database.transaction() as conn:
                await prune(conn, utcnow(), settings)
            await purge_tombstones(database, utcnow(), settings.changes_tombstone_days)
        except Exception:  # the next round tries again
            logger.warning("housekeeping failed", exc_info=True)
        await asyncio.sleep(interval)
