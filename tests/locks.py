"""Waiting, in a test, for the app's sessions to wait for a lock (PostgreSQL)."""

import asyncio
import os

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection


def postgresql_only(reason: str) -> pytest.MarkDecorator:
    """Skips on SQLite, for `reason`."""
    return pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"), reason=reason
    )


_WAITING = sa.text(
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


async def waiting_for_locks(conn: AsyncConnection, sessions: int = 1) -> None:
    """Until at least `sessions` sessions of this database wait for a lock; `conn` in
    autocommit, so that each look sees the sessions as they are now."""
    for _ in range(500):
        if (await conn.execute(_WAITING)).scalar_one() >= sessions:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {sessions} sessions wait for a lock")
