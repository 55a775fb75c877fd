"""Rows that carry a `version`, bumped by every change: the ETag a client holds, the
412 for a stale `If-Match`, and the change that applies only to the version read."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.conditional import etag_listed
from api.core.errors import Problem, not_found
from api.core.sql import Record


def refuse_stale(if_match: str | None, current: str, what: str) -> None:
    """A missing `If-Match` means an unconditional change; one that does not name the
    `current` ETag is a 412 that gives it."""
    if if_match is None or etag_listed(if_match, current, weak=False):
        return
    raise Problem(
        412,
        f"The {what} has changed since that version; its ETag is now {current}.",
        code="stale-version",
        headers={"ETag": current},
    )


async def take_change(conn: AsyncConnection, couple_id: uuid.UUID) -> None:
    """Take the couple's next change sequence value now, before any of its rows is
    locked (alembic/versions/0008): a write that locked a row first and the counters
    second could deadlock with one that took them the other way round. The rows this
    transaction then writes share the value. (SQLite has one writer at a time.)"""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            sa.select(sa.func.toward_change_stamp(sa.literal(couple_id, sa.Uuid), sa.true()))
        )


async def change_version(
    conn: AsyncConnection,
    table: sa.Table,
    row: Record,
    changes: dict[str, Any],
    now: datetime,
    *,
    conditional: bool,
    what: str,
) -> Record:
    """Apply `changes` to the live row read as `row`, as its next version. A conditional
    change (`If-Match` given) applies only to the version that was read, else 412; an
    unconditional one to whatever is current; a row deleted meanwhile is a 404."""
    await take_change(conn, row["couple_id"])
    where = [table.c.id == row["id"], table.c.deleted_at.is_(None)]
    if conditional:
        where.append(table.c.version == row["version"])
    updated = (
        await conn.execute(
            sa.update(table)
            .where(*where)
            .values(**changes, version=table.c.version + 1, updated_at=now)
            .returning(*table.c)
        )
    ).first()
    if updated is None and conditional:
        raise Problem(
            412, f"The {what} changed while this request ran; read it again.", code="stale-version"
        )
    if updated is None:
        raise not_found(what)
    changed: Record = updated._mapping
    return changed
