"""When a user's export may start, and its end: one running at a time per user, at
most `exports_per_user` started per window, at most `exports_per_worker` streaming in
a worker at once. The first two are counted in the database (`exports`), so that every
worker and every instance agrees; the last is the worker's own pool's to guard."""

import logging
import uuid
from datetime import datetime, timedelta
from math import ceil

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.db import Database
from api.core.deps import account_gone
from api.core.errors import Problem, busy
from api.core.settings import Settings
from api.users.service import get_user
from models.base import utcnow
from models.export import Export

logger = logging.getLogger("toward")

_exports: sa.Table = Export.__table__  # type: ignore[attr-defined]

# An export usually streams for seconds: a second one is worth trying again soon.
RUNNING_RETRY_SECONDS = 10


class Running:
    """The exports streaming in this worker, each holding one of the pool's connections
    for as long as its client reads."""

    def __init__(self) -> None:
        self.count = 0


async def begin(
    database: Database, running: Running, user_id: uuid.UUID, settings: Settings
) -> uuid.UUID:
    """The new export's id; a 503 `busy` when the worker streams as many as it takes, a
    429 when the user's own limits are reached."""
    if running.count >= settings.exports_per_worker:
        raise busy("This server is streaming as many exports as it takes; try again shortly.")
    running.count += 1
    try:
        return await _admit(database, user_id, settings, utcnow())
    except BaseException:
        running.count -= 1
        raise


async def _admit(
    database: Database, user_id: uuid.UUID, settings: Settings, now: datetime
) -> uuid.UUID:
    async with database.transaction() as conn:
        # The account's row, held until the commit: a user's starts take turns, so two
        # at once cannot both find none running.
        if await get_user(conn, user_id, lock=True) is None:
            raise account_gone()
        if await _running(conn, user_id, now, settings):
            raise Problem(
                429,
                "An export of your data is streaming already: one at a time.",
                code="export-running",
                headers={"Retry-After": str(RUNNING_RETRY_SECONDS)},
            )
        wait = await _wait(conn, user_id, now, settings)
        if wait is not None:
            raise Problem(
                429,
                f"At most {settings.exports_per_user} exports in "
                f"{settings.export_window_seconds} seconds.",
                code="too-many-exports",
                headers={"Retry-After": str(wait)},
            )
        export_id = uuid.uuid4()
        await conn.execute(
            sa.insert(_exports).values(id=export_id, user_id=user_id, started_at=now)
        )
    return export_id


async def _running(
    conn: AsyncConnection, user_id: uuid.UUID, now: datetime, settings: Settings
) -> bool:
    # One older than the longest an export streams is one whose worker died mid-stream.
    found = await conn.scalar(
        sa.select(_exports.c.id)
        .where(
            _exports.c.user_id == user_id,
            _exports.c.ended_at.is_(None),
            _exports.c.started_at > now - timedelta(seconds=settings.export_seconds),
        )
        .limit(1)
    )
    return found is not None


async def _wait(
    conn: AsyncConnection, user_id: uuid.UUID, now: datetime, settings: Settings
) -> int | None:
    """Seconds until the user may export again, or None when they may now."""
    window = timedelta(seconds=settings.export_window_seconds)
    # The `exports_per_user`-th newest start in the window: when it ages out, one frees up.
    oldest_counted: datetime | None = await conn.scalar(
        sa.select(_exports.c.started_at)
        .where(_exports.c.user_id == user_id, _exports.c.started_at > now - window)
        .order_by(_exports.c.started_at.desc())
        .offset(settings.exports_per_user - 1)
        .limit(1)
    )
    if oldest_counted is None:
        return None
    return max(1, ceil((oldest_counted + window - now).total_seconds()))


async def end(database: Database, running: Running, export_id: uuid.UUID) -> None:
    """The export has stopped streaming, whole or not. Should the database not take
    it, the export counts as running until `export_seconds` have passed."""
    running.count -= 1
    try:
        async with database.transaction() as conn:
            await conn.execute(
                sa.update(_exports).where(_exports.c.id == export_id).values(ended_at=utcnow())
            )
    except Exception:
        logger.warning("the end of export %s was not stored", export_id, exc_info=True)


async def prune(conn: AsyncConnection, now: datetime, settings: Settings) -> None:
    """Exports that no limit counts any more."""
    counted = max(settings.export_window_seconds, settings.export_seconds)
    await conn.execute(
        sa.delete(_exports).where(_exports.c.started_at < now - timedelta(seconds=counted))
    )
