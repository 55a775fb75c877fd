"""The access log: every therapist read of a couple, appended before the read is
answered, and readable by the couple's partners."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core import cursor as cursors
from api.core.db import Database
from api.core.errors import not_found
from api.core.sql import ID_LISTS, RowsStatement, Statement
from api.therapists.grants import ACCEPTED, BOTH
from api.trends.service import Granted
from models.base import utcnow
from models.therapist import AccessLogEntry, AccessLogPublic

_log: sa.Table = AccessLogEntry.__table__  # type: ignore[attr-defined]

_COLUMNS = {
    "id": _log.c.id.type,
    "couple_id": _log.c.couple_id.type,
    "therapist_id": _log.c.therapist_id.type,
    "endpoint": _log.c.endpoint.type,
    "weeks": _log.c.weeks.type,
    "end_on": _log.c.end_on.type,
    "at": _log.c.at.type,
}
_INTO = (
    "INSERT INTO access_log"
    " (id, couple_id, therapist_id, therapist_name, endpoint, weeks, end_on, at)"
)
_VALUES = (
    "rows_.id, rows_.couple_id, rows_.therapist_id, u.display_name, rows_.endpoint,"
    " rows_.weeks, rows_.end_on, rows_.at"
)

# The check and the entry in one statement: the read is logged only if access stands
# (both partners' grants, which the therapist accepted), and it is answered only if it
# was logged.
_CHECKED = RowsStatement(
    f"""
    {_INTO}
    SELECT {_VALUES}
    FROM {{rows}} JOIN users AS u ON u.id = rows_.therapist_id
    WHERE (SELECT count(*) FROM therapist_grants AS g
           WHERE g.couple_id = rows_.couple_id AND g.therapist_id = rows_.therapist_id
             AND g.answer = '{ACCEPTED}')
          = {BOTH}
    RETURNING id
    """,
    _COLUMNS,
    {"id": _log.c.id.type},
    key="id",
)


# A caseload page's entries, in one statement: one for each couple listed whose access
# still stands, which it returns; with `whole`, none at all unless every couple's does.
# PostgreSQL makes the ids; SQLite, which has no UUID function, makes them of 32
# random hex digits (version 4).
_NEW_IDS = {
    "postgresql": ("", "gen_random_uuid()"),
    "sqlite": (
        ", hex(randomblob(16)) AS h",
        "lower(substr(h, 1, 12) || '4' || substr(h, 14, 3)"
        " || substr('89ab', abs(random()) % 4 + 1, 1) || substr(h, 18))",
    ),
}
_LISTED = {
    dialect: Statement(
        f"""
        WITH listed AS (
            SELECT ids.id AS couple_id{_NEW_IDS[dialect][0]},
                   (SELECT count(*) FROM therapist_grants AS g
                    WHERE g.couple_id = ids.id AND g.therapist_id = :therapist_id
                      AND g.answer = '{ACCEPTED}')
                   = {BOTH} AS granted
            FROM {ids.relation("couple_ids")}
        )
        {_INTO}
        SELECT {_NEW_IDS[dialect][1]}, listed.couple_id, u.id, u.display_name, :endpoint,
               NULL, NULL, :at
        FROM listed JOIN users AS u ON u.id = :therapist_id
        WHERE listed.granted AND NOT (:whole AND EXISTS (SELECT 1 FROM listed WHERE NOT granted))
        RETURNING couple_id
        """,
        {
            "couple_ids": ids.type,
            "therapist_id": _COLUMNS["therapist_id"],
            "endpoint": _COLUMNS["endpoint"],
            "at": _COLUMNS["at"],
            "whole": sa.Boolean(),
        },
        {"couple_id": _COLUMNS["couple_id"]},
    )
    for dialect, ids in ID_LISTS.items()
}


def _row(
    couple_id: uuid.UUID,
    therapist_id: uuid.UUID,
    endpoint: str,
    at: datetime,
    weeks: int | None = None,
    end: date | None = None,
) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "couple_id": couple_id,
        "therapist_id": therapist_id,
        "endpoint": endpoint,
        "weeks": weeks,
        "end_on": end,
        "at": at,
    }


async def record_read(
    database: Database,
    couple_id: uuid.UUID,
    therapist_id: uuid.UUID,
    endpoint: str,
    *,
    weeks: int,
    end: date | None,
) -> Granted:
    """Log the therapist's read of one couple's weeks, committed before the read goes
    on, and grant the read; a couple without both partners' grants for this therapist,
    accepted by it, is a 404."""
    row = _row(couple_id, therapist_id, endpoint, utcnow(), weeks, end)
    logged = await database.run_row(_CHECKED, **row)
    if logged is None:
        raise not_found("couple")
    return Granted(couple_id)


async def record_listed(
    database: Database,
    couple_ids: Sequence[uuid.UUID],
    therapist_id: uuid.UUID,
    endpoint: str,
    *,
    whole: bool,
) -> set[uuid.UUID]:
    """Log the couples a caseload page shows, in one statement: those whose access still
    stands (both partners' grants, accepted), which are returned; with `whole`, none
    unless all of them."""
    if not couple_ids:
        return set()
    dialect = database.engine.dialect.name
    logged = await database.write(
        _LISTED[dialect],
        couple_ids=ID_LISTS[dialect].of(couple_ids),
        therapist_id=therapist_id,
        endpoint=endpoint,
        at=utcnow(),
        whole=whole,
    )
    return {row["couple_id"] for row in logged}


async def entries(
    conn: AsyncConnection, couple_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[AccessLogPublic], str | None]:
    """Newest first."""
    rows, next_cursor = await cursors.newest_first(
        conn,
        sa.select(_log).where(_log.c.couple_id == couple_id),
        _log.c.at,
        _log.c.id,
        cursor=cursor,
        limit=limit,
    )
    return [
        AccessLogPublic(
            id=row["id"],
            therapist_id=row["therapist_id"],
            therapist_name=row["therapist_name"],
            endpoint=row["endpoint"],
            weeks=row["weeks"],
            end=row["end_on"],
            at=row["at"],
        )
        for row in rows
    ], next_cursor
