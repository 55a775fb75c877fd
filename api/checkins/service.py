"""Check-ins: each partner's own, put for a local date of the couple (an upsert),
listed under the reveal rule, deleted as tombstones. The weekly rollup and
`bid_versions` follow from triggers (migration 0007): nothing here counts."""

import uuid
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core import cursor as cursors
from api.core.conditional import etag_listed
from api.core.db import insert_or_skip
from api.core.errors import Problem, invalid, not_found
from api.core.sql import Record
from api.core.versions import refuse_stale, take_change
from models.base import utcnow
from models.calendar import local_date
from models.checkin import Checkin, CheckinPublic, CheckinPut
from models.couple import Couple
from models.vocabulary import signs_of_bits, signs_to_bits

_checkins: sa.Table = Checkin.__table__  # type: ignore[attr-defined]
_couples: sa.Table = Couple.__table__  # type: ignore[attr-defined]

# Tomorrow is allowed: the partners' days need not agree with the couple's time zone
# (one of them travelling, say), and an evening check-in may be meant for the next day.
MAX_AHEAD = timedelta(days=1)
EARLIEST = date(1900, 1, 1)


def to_public(row: Record, viewer_id: uuid.UUID) -> CheckinPublic:
    hidden = row["private"] and row["partner_id"] != viewer_id
    return CheckinPublic(
        id=row["id"],
        couple_id=row["couple_id"],
        partner_id=row["partner_id"],
        date=row["local_date"],
        connection=row["connection"],
        stress=row["stress"],
        signs=signs_of_bits(row["signs"]),
        note=None if hidden else row["note"],
        private=row["private"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def etag(row: Record) -> str:
    """Only the author reads a check-in by its date, so one tag per version suffices.
    The version runs on across a delete and a new put, so a tag never comes back."""
    return f'"{row["version"]}"'


async def _couple_today(conn: AsyncConnection, couple_id: uuid.UUID) -> date:
    timezone = (
        await conn.execute(sa.select(_couples.c.timezone).where(_couples.c.id == couple_id))
    ).scalar_one()
    return local_date(utcnow(), timezone)


def _check_date(day: date, today: date) -> None:
    if day < EARLIEST:
        raise invalid("date", f"may not be before {EARLIEST.isoformat()}")
    if day > today + MAX_AHEAD:
        raise invalid(
            "date",
            f"may be at most one day after the couple's today ({today.isoformat()}, "
            "in the couple's time zone)",
        )


async def _own_row(
    conn: AsyncConnection, couple_id: uuid.UUID, partner_id: uuid.UUID, day: date
) -> Record | None:
    """The partner's row for that date, a tombstone included, locked until the request
    ends: two puts of the same date take turns."""
    row = (
        await conn.execute(
            sa.select(_checkins)
            .where(
                _checkins.c.couple_id == couple_id,
                _checkins.c.partner_id == partner_id,
                _checkins.c.local_date == day,
            )
            .with_for_update()
        )
    ).first()
    return None if row is None else row._mapping


def check_if_match(if_match: str | None, row: Record | None) -> None:
    """A missing `If-Match` means an unconditional write. Given, it must name the live
    check-in's current ETag: with none there (never put, or deleted), nothing matches."""
    if if_match is None:
        return
    if row is None or row["deleted_at"] is not None:
        raise Problem(
            412,
            "You have no check-in for this date, so no version of it matches If-Match.",
            code="stale-version",
        )
    refuse_stale(if_match, etag(row), "check-in")


async def _update(conn: AsyncConnection, row: Record, changes: dict[str, Any]) -> Record:
    updated = (
        await conn.execute(
            sa.update(_checkins)
            .where(_checkins.c.id == row["id"])
            .values(**changes, version=_checkins.c.version + 1)
            .returning(_checkins)
        )
    ).one()
    changed: Record = updated._mapping
    return changed


async def put_checkin(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    caller_id: uuid.UUID,
    day: date,
    body: CheckinPut,
    if_match: str | None,
) -> tuple[Record, bool]:
    """The caller's check-in for that date, and whether it is new (no live one before)."""
    _check_date(day, await _couple_today(conn, couple_id))
    now = utcnow()
    fields = {
        "connection": body.connection,
        "stress": body.stress,
        "signs": signs_to_bits(body.signs),
        "note": body.note,
        "private": body.private,
    }
    await take_change(conn, couple_id)
    existing = await _own_row(conn, couple_id, caller_id, day)
    check_if_match(if_match, existing)
    if existing is None:
        inserted = (
            await conn.execute(
                insert_or_skip(conn, _checkins)
                .values(
                    id=uuid.uuid4(),
                    couple_id=couple_id,
                    partner_id=caller_id,
                    local_date=day,
                    **fields,
                    version=1,
                    created_at=now,
                    updated_at=now,
                    deleted_at=None,
                )
                .returning(_checkins)
            )
        ).first()
        if inserted is not None:
            created: Record = inserted._mapping
            return created, True
        # Another put of the same caller and date committed first: replace what it wrote.
        existing = await _own_row(conn, couple_id, caller_id, day)
        if existing is None:  # only the couple's deletion removes rows
            raise not_found("couple")
    if existing["deleted_at"] is not None:
        # The tombstone comes back to life under its id, so offline clients that
        # synced the deletion see the same check-in again; to them it is a new one.
        revived = {**fields, "deleted_at": None, "created_at": now, "updated_at": now}
        return await _update(conn, existing, revived), True
    return await _update(conn, existing, {**fields, "updated_at": now}), False


async def _live_own_row(
    conn: AsyncConnection, couple_id: uuid.UUID, partner_id: uuid.UUID, day: date
) -> Record:
    row = await _own_row(conn, couple_id, partner_id, day)
    if row is None or row["deleted_at"] is not None:
        raise not_found("check-in")
    return row


async def read_checkin(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    caller_id: uuid.UUID,
    day: date,
    if_none_match: str | None,
) -> tuple[Record, bool]:
    """The caller's check-in, and whether the copy they hold (`If-None-Match`) is current."""
    row = (
        await conn.execute(
            sa.select(_checkins).where(
                _checkins.c.couple_id == couple_id,
                _checkins.c.partner_id == caller_id,
                _checkins.c.local_date == day,
                _checkins.c.deleted_at.is_(None),
            )
        )
    ).first()
    if row is None:
        raise not_found("check-in")
    found: Record = row._mapping
    held = if_none_match is not None and etag_listed(if_none_match, etag(found), weak=True)
    return found, held


async def delete_checkin(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    caller_id: uuid.UUID,
    day: date,
    if_match: str | None,
) -> None:
    await take_change(conn, couple_id)
    row = await _live_own_row(conn, couple_id, caller_id, day)
    check_if_match(if_match, row)
    now = utcnow()
    # The tombstone keeps what sync needs, not the words.
    await _update(conn, row, {"deleted_at": now, "note": None, "updated_at": now})


async def list_checkins(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    viewer_id: uuid.UUID,
    *,
    since: date | None = None,
    until: date | None = None,
    partner_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int,
) -> tuple[list[CheckinPublic], str | None]:
    own = _checkins.alias("own")
    # The reveal rule in the query itself, so that every page is exact: the viewer's
    # own check-ins, and the partner's only for dates the viewer has checked in too.
    viewer_checked_in = (
        sa.exists()
        .where(
            own.c.couple_id == _checkins.c.couple_id,
            own.c.partner_id == viewer_id,
            own.c.local_date == _checkins.c.local_date,
            own.c.deleted_at.is_(None),
        )
        .correlate(_checkins)
    )
    query = sa.select(_checkins).where(
        _checkins.c.couple_id == couple_id,
        _checkins.c.deleted_at.is_(None),
        sa.or_(_checkins.c.partner_id == viewer_id, viewer_checked_in),
    )
    if since is not None:
        query = query.where(_checkins.c.local_date >= since)
    if until is not None:
        query = query.where(_checkins.c.local_date < until)
    if partner_id is not None:
        query = query.where(_checkins.c.partner_id == partner_id)
    # (date, partner) is unique among a couple's check-ins: a stable key to page by.
    rows, next_cursor = await cursors.newest_day_first(
        conn,
        query,
        _checkins.c.local_date,
        _checkins.c.partner_id,
        cursor=cursor,
        limit=limit,
    )
    return [to_public(row, viewer_id) for row in rows], next_cursor
