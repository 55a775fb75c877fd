"""Opaque cursors for keyset pagination: the sort key of the last item handed out."""

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Query
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.errors import invalid

CursorQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        description="The `next_cursor` of the page before; none for the first page.",
    ),
]
LimitQuery = Annotated[int, Query(ge=1, le=200, description="Items per page, 1 to 200.")]
K = TypeVar("K")


def pack(parts: list[Any]) -> str:
    raw = json.dumps(parts, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def unpack(cursor: str) -> list[Any] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        return None
    return parts if isinstance(parts, list) else None


def encode(at: datetime, item_id: uuid.UUID) -> str:
    """A position in a list ordered by (time, id)."""
    return pack([at.isoformat(), str(item_id)])


def _position(cursor: str, key_of: Callable[[Any], K | None]) -> tuple[K, uuid.UUID] | None:
    """A cursor's (sort key, id), the key read by `key_of` (None, ValueError or TypeError
    for a key it did not make); None for anything this module did not hand out."""
    parts = unpack(cursor)
    if parts is None or len(parts) != 2:
        return None
    key, item_id = parts
    try:
        if not isinstance(item_id, str):
            return None
        found = key_of(key)
        return None if found is None else (found, uuid.UUID(item_id))
    except (ValueError, TypeError, OverflowError):
        return None


def _moment(key: Any) -> datetime | None:
    if not isinstance(key, str):
        return None
    moment = datetime.fromisoformat(key)
    return None if moment.tzinfo is None else moment.astimezone(UTC)


def decode(cursor: str) -> tuple[datetime, uuid.UUID] | None:
    """The position, or None for anything `encode` did not make."""
    return _position(cursor, _moment)


def encode_rank(rank: int, item_id: uuid.UUID) -> str:
    """A position in a list ordered by a score, highest first, then by id."""
    return pack([rank, str(item_id)])


def decode_rank(cursor: str) -> tuple[int, uuid.UUID] | None:
    return _position(cursor, lambda rank: rank if type(rank) is int else None)


async def newest_first(
    conn: AsyncConnection,
    query: sa.Select[Any],
    at: sa.ColumnElement[datetime],
    item_id: sa.ColumnElement[uuid.UUID],
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[sa.RowMapping], str | None]:
    """A page of `query` ordered by (`at`, `item_id`) descending, after `cursor`; and
    the cursor of the next page, None on the last."""
    return await _page(conn, query, at, item_id, cursor, limit, decode, encode)


def encode_day(day: date, item_id: uuid.UUID) -> str:
    """A position in a list ordered by (date, id)."""
    return pack([day.isoformat(), str(item_id)])


def decode_day(cursor: str) -> tuple[date, uuid.UUID] | None:
    return _position(cursor, lambda day: date.fromisoformat(day) if isinstance(day, str) else None)


async def newest_day_first(
    conn: AsyncConnection,
    query: sa.Select[Any],
    day: sa.ColumnElement[date],
    item_id: sa.ColumnElement[uuid.UUID],
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[sa.RowMapping], str | None]:
    """`newest_first` for a list ordered by a date: (`day`, `item_id`) descending."""
    return await _page(conn, query, day, item_id, cursor, limit, decode_day, encode_day)


async def _page(
    conn: AsyncConnection,
    query: sa.Select[Any],
    key: sa.ColumnElement[Any],
    item_id: sa.ColumnElement[uuid.UUID],
    cursor: str | None,
    limit: int,
    decoded: Callable[[str], tuple[Any, uuid.UUID] | None],
    encoded: Callable[[Any, uuid.UUID], str],
) -> tuple[list[sa.RowMapping], str | None]:
    if cursor is not None:
        position = decoded(cursor)
        if position is None:
            raise invalid("cursor", "is not a cursor this API handed out")
        after = sa.tuple_(
            sa.literal(position[0], type_=key.type), sa.literal(position[1], type_=item_id.type)
        )
        query = query.where(sa.tuple_(key, item_id) < after)
    query = query.order_by(key.desc(), item_id.desc()).limit(limit + 1)
    rows = list((await conn.execute(query)).mappings())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encoded(rows[-1][key], rows[-1][item_id])
