"""Shared activities: idempotent creation, listing, changes by their logger, deletion as
tombstones. The weekly rollup and `bid_versions` follow from triggers (migration 0007):
nothing here counts."""

import hashlib
import operator
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.bids.service import EARLIEST, MAX_FUTURE
from api.core import cursor as cursors
from api.core.conditional import etag_listed
from api.core.db import insert_or_skip
from api.core.errors import FieldError, Problem, each_item, invalid, invalid_items, not_found
from api.core.sql import Record
from api.core.versions import change_version, refuse_stale
from models.activity import Activity, ActivityCreate, ActivityPublic, ActivityUpdate
from models.base import utcnow
from models.vocabulary import ActivityKind

_activities: sa.Table = Activity.__table__  # type: ignore[attr-defined]


def _check_occurred_at(occurred_at: datetime, now: datetime) -> None:
    # The same window as bids: a couple may backfill its history, not log the future.
    if occurred_at > now + MAX_FUTURE:
        raise invalid("occurred_at", "may not be more than 5 minutes in the future")
    if occurred_at < EARLIEST:
        raise invalid("occurred_at", "may not be before 1900-01-01T00:00:00Z")


def to_public(row: Record) -> ActivityPublic:
    return ActivityPublic(
        id=row["id"],
        couple_id=row["couple_id"],
        logged_by=row["logged_by"],
        kind=row["kind"],
        occurred_at=row["occurred_at"],
        duration_minutes=row["duration_minutes"],
        note=row["note"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def etag(row: Record) -> str:
    """Both partners see the same activity (no note is private), so one tag serves both."""
    return f'"{row["version"]}"'


def request_digest(body: ActivityCreate) -> str:
    """The create request once parsed: the same instant in any offset (`Instant` is UTC),
    60 and 60.0 minutes, and defaults written or left out give the same digest."""
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def _values(
    couple_id: uuid.UUID, caller_id: uuid.UUID, body: ActivityCreate, now: datetime
) -> dict[str, Any]:
    """A create's row; a 422 when its `occurred_at` is out of range."""
    _check_occurred_at(body.occurred_at, now)
    return {
        "id": body.id or uuid.uuid4(),
        "couple_id": couple_id,
        "logged_by": caller_id,
        "kind": body.kind.value,
        "occurred_at": body.occurred_at,
        "duration_minutes": body.duration_minutes,
        "note": body.note,
        "version": 1,
        "request_digest": request_digest(body),
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
    }


_ID_TAKEN = "An activity with this id exists already, created with another body or deleted."


def _replays(existing: Record, values: dict[str, Any]) -> bool:
    """Whether the create of `values` is a replay of the one that stored `existing`."""
    return (
        existing["couple_id"] == values["couple_id"]
        and existing["logged_by"] == values["logged_by"]
        and existing["request_digest"] == values["request_digest"]
        and existing["deleted_at"] is None
    )


async def _insert(conn: AsyncConnection, values: dict[str, Any]) -> tuple[Record, bool] | None:
    """The stored activity and whether it was created now (False: a replay of the same
    create); None when its id is taken by another create or a deleted activity."""
    # A taken id writes nothing and aborts nothing: a concurrent create of the same id
    # waits here for the other to commit, then finds its row below.
    inserted = (
        await conn.execute(
            insert_or_skip(conn, _activities).values(**values).returning(*_activities.c)
        )
    ).first()
    if inserted is not None:
        created: Record = inserted._mapping
        return created, True
    existing = (
        await conn.execute(sa.select(_activities).where(_activities.c.id == values["id"]))
    ).first()
    if existing is not None and _replays(existing._mapping, values):
        replayed: Record = existing._mapping
        return replayed, False
    return None


async def create_activity(
    conn: AsyncConnection, couple_id: uuid.UUID, caller_id: uuid.UUID, body: ActivityCreate
) -> tuple[Record, bool]:
    """The stored activity, and whether it was created now (False: a replay of the same
    create). The caller is a partner of the couple (the route's guard)."""
    stored = await _insert(conn, _values(couple_id, caller_id, body, utcnow()))
    if stored is None:
        raise Problem(409, _ID_TAKEN, code="id-conflict")
    return stored


async def create_activities(
    conn: AsyncConnection, couple_id: uuid.UUID, caller_id: uuid.UUID, items: list[ActivityCreate]
) -> list[tuple[Record, bool]]:
    """Every item stored as `create_activity` stores it, or (the request's transaction
    rolled back) none, with the problems of all bad items at once, each naming its
    item's `index`. One insert of every item (and a read of the ids it found taken),
    whatever their number: the couple's change stamp, which the first row stored takes,
    is held until the request commits, not across a round trip per item."""
    now = utcnow()
    rows, errors = each_item(items, lambda body: _values(couple_id, caller_id, body, now))
    if errors:
        raise invalid_items(errors)
    # An id sent twice is stored once, by its first item; the next is a replay of it or
    # a conflict, as it would be sent alone after it. In the order of the ids, so that two
    # batches that share ids wait for each other rather than deadlock.
    first = sorted(
        {values["id"]: values for values in reversed(rows)}.values(), key=operator.itemgetter("id")
    )
    inserted = {
        row.id: row._mapping
        for row in await conn.execute(
            insert_or_skip(conn, _activities).returning(*_activities.c), first
        )
    }
    taken = [values["id"] for values in first if values["id"] not in inserted]
    existing = (
        {
            row.id: row._mapping
            for row in await conn.execute(sa.select(_activities).where(_activities.c.id.in_(taken)))
        }
        if taken
        else {}
    )
    results: list[tuple[Record, bool]] = []
    for index, values in enumerate(rows):
        created = inserted.pop(values["id"], None)
        if created is not None:
            existing[values["id"]] = created
            results.append((created, True))
            continue
        found = existing.get(values["id"])
        if found is not None and _replays(found, values):
            results.append((found, False))
        else:
            errors.append(FieldError(field=f"items.{index}.id", message=_ID_TAKEN, index=index))
    if errors:
        raise Problem(409, _ID_TAKEN, code="id-conflict", errors=errors)
    return results


async def list_activities(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: ActivityKind | None = None,
    logged_by: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int,
) -> tuple[list[ActivityPublic], str | None]:
    table = _activities
    query = sa.select(table).where(table.c.couple_id == couple_id, table.c.deleted_at.is_(None))
    if since is not None:
        query = query.where(table.c.occurred_at >= since)
    if until is not None:
        query = query.where(table.c.occurred_at < until)
    if kind is not None:
        query = query.where(table.c.kind == kind.value)
    if logged_by is not None:
        query = query.where(table.c.logged_by == logged_by)
    rows, next_cursor = await cursors.newest_first(
        conn, query, table.c.occurred_at, table.c.id, cursor=cursor, limit=limit
    )
    return [to_public(row) for row in rows], next_cursor


async def get_activity_row(
    conn: AsyncConnection, couple_id: uuid.UUID, activity_id: uuid.UUID
) -> Record:
    row = (
        await conn.execute(
            sa.select(_activities).where(
                _activities.c.id == activity_id,
                _activities.c.couple_id == couple_id,
                _activities.c.deleted_at.is_(None),
            )
        )
    ).first()
    if row is None:
        raise not_found("activity")
    return row._mapping


async def read_activity(
    conn: AsyncConnection, couple_id: uuid.UUID, activity_id: uuid.UUID, if_none_match: str | None
) -> tuple[Record, bool]:
    """The activity, and whether the copy the caller holds (`If-None-Match`) is current."""
    row = await get_activity_row(conn, couple_id, activity_id)
    held = if_none_match is not None and etag_listed(if_none_match, etag(row), weak=True)
    return row, held


def _check_if_match(if_match: str | None, row: Record) -> None:
    refuse_stale(if_match, etag(row), "activity")


def _own(row: Record, caller_id: uuid.UUID) -> None:
    if row["logged_by"] != caller_id:
        raise Problem(
            403,
            "Only the partner who logged this activity may change or delete it.",
            code="not-logger",
        )


async def _write(
    conn: AsyncConnection, row: Record, changes: dict[str, Any], now: datetime, *, conditional: bool
) -> Record:
    return await change_version(
        conn, _activities, row, changes, now, conditional=conditional, what="activity"
    )


async def update_activity(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    activity_id: uuid.UUID,
    caller_id: uuid.UUID,
    body: ActivityUpdate,
    if_match: str | None,
) -> Record:
    row = await get_activity_row(conn, couple_id, activity_id)
    _own(row, caller_id)
    _check_if_match(if_match, row)
    changes = body.model_dump(exclude_unset=True)
    now = utcnow()
    if "occurred_at" in changes:
        _check_occurred_at(changes["occurred_at"], now)
    if "kind" in changes:
        changes["kind"] = ActivityKind(changes["kind"]).value
    if not changes:
        return row
    return await _write(conn, row, changes, now, conditional=if_match is not None)


async def delete_activity(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    activity_id: uuid.UUID,
    caller_id: uuid.UUID,
    if_match: str | None,
) -> None:
    row = await get_activity_row(conn, couple_id, activity_id)
    _own(row, caller_id)
    _check_if_match(if_match, row)
    now = utcnow()
    # The tombstone keeps what sync needs: not the words, nor a digest of them (a short
    # note could be guessed back from it). No request's digest is empty, so replaying
    # the id stays a conflict.
    await _write(
        conn,
        row,
        {"deleted_at": now, "note": None, "request_digest": ""},
        now,
        conditional=if_match is not None,
    )
