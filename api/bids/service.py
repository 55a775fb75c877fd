"""Bids: idempotent creation, listing, changes, deletion as tombstones, perceptions."""

import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import asyncpg
import pydantic_core
import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core import cursor as cursors
from api.core.conditional import etag_listed
from api.core.db import Database
from api.core.errors import FieldError, Problem, each_item, invalid, invalid_items, not_found
from api.core.ids import new_ids
from api.core.sql import Record, RowsStatement, Statement
from api.core.versions import change_version, refuse_stale
from api.couples.service import held_partner_ids
from models.base import utcnow
from models.bid import (
    Bid,
    BidBatchResultFields,
    BidCreate,
    BidFields,
    BidPublic,
    BidUpdate,
    Perception,
    PerceptionFields,
)
from models.vocabulary import BidKind, effective_response

_bids: sa.Table = Bid.__table__  # type: ignore[attr-defined]

MAX_FUTURE = timedelta(minutes=5)
# Backfilling any real history fits; the driver would read year 1 as -infinity.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)

# `change_seq` is the database's to set (alembic/versions/0008): only `_INSERT_ALL`
# names it, with the stamp it takes itself (alembic/versions/0016).
_INSERTED = [column for column in _bids.c if column.name != "change_seq"]
_COLUMNS = ", ".join(column.name for column in _INSERTED)
# The hot path, one statement (api/core/sql.py): the couple's membership check, that it
# is not dissolved, the responder (the bidder's partner) and the insert. No row back
# means: not a partner, no second partner yet, a dissolved couple, a bidder outside the
# couple, or a taken id; `create_bid` then finds out which.
_INSERT = RowsStatement(
    f"""
    INSERT INTO bids ({_COLUMNS})
    SELECT rows_.id, caller.couple_id, rows_.bidder_id,
           CASE WHEN other.user_id = rows_.bidder_id THEN caller.user_id ELSE other.user_id END,
           caller.user_id, rows_.occurred_at, rows_.kind, rows_.channel, rows_.note,
           rows_.private, rows_.repair, rows_.bidder_response, rows_.bidder_style,
           rows_.responder_response, rows_.responder_style,
           1, rows_.request_digest, rows_.now, rows_.now, NULL
    FROM {{rows}}
    JOIN couple_members AS caller
      ON caller.couple_id = rows_.couple_id AND caller.user_id = rows_.caller_id
    JOIN couple_members AS other
      ON other.couple_id = caller.couple_id AND other.user_id <> caller.user_id
    JOIN couples ON couples.id = caller.couple_id AND couples.dissolved_at IS NULL
    WHERE rows_.bidder_id IN (caller.user_id, other.user_id)
    -- Rows in couple order: the triggers lock each couple's counters as its first row
    -- comes, so concurrent batches take them in one order and cannot deadlock; and so,
    -- within a couple, in the order of their ids, which another batch may hold.
    ORDER BY caller.couple_id, rows_.id
    ON CONFLICT (id) DO NOTHING
    RETURNING id, responder_id
    """,
    {
        **{
            column.name: column.type
            for column in _INSERTED
            if column.name
            not in {
                "responder_id",
                "logged_by",
                "version",
                "created_at",
                "updated_at",
                "deleted_at",
            }
        },
        "caller_id": _bids.c.logged_by.type,
        "now": _bids.c.created_at.type,
    },
    {"id": _bids.c.id.type, "responder_id": _bids.c.responder_id.type},
    key="id",
    group="couple_id",
)


# A batch's items on PostgreSQL (`create_bids`): all of them in one statement that
# commits on its own, or none. Writers of one couple take its change stamp in turn
# (alembic/versions/0008), from their first row to their commit: so a batch that goes
# in this way holds it only while the database inserts, not also while the worker,
# busy with other requests, comes back to send a COMMIT (`make bench`, whose batches
# all go to one couple, stored a fifth more bids a second so). The items go in only
# when every one joins the couple's partners (the caller one of them, the couple not
# dissolved, each bidder a partner). Else, or when an id is taken (a plain insert: the
# unique violation undoes the statement), or when an erasure that committed after the
# statement began made the partners' check fail (alembic/versions/0014: the statement
# read the partners before its change stamp waited for the erasure), nothing is stored
# and the transaction of `create_bids` finds out why, or that the batch was a replay.
# As for `_INSERT`, the couple's `dissolved_at` is read as the statement began: only an
# erasure dissolves a couple, and it replaces the partner, which the check sees.
# The partners are MATERIALIZED so that a generic plan (the driver prepares statements)
# reads them once, not once per item. Rows go in in the order of their ids, as `_INSERT`
# puts them: batches that share ids wait for each other rather than deadlock. The
# couple's change stamp is taken once, for every row (alembic/versions/0016), and only
# when every item joins the partners: a batch that stores nothing takes none. What comes
# back is how many went in, with the partners (each responder is its bidder's partner),
# not a row per item: hundreds of rows to send and decode.
_ITEM_COLUMNS = [name for name in _INSERT.names if name not in {"couple_id", "caller_id", "now"}]
_INSERT_ALL = Statement(
    f"""
    WITH rows_ AS MATERIALIZED (
        SELECT * FROM unnest({", ".join(f":{name}" for name in _ITEM_COLUMNS)})
            AS rows_ ({", ".join(_ITEM_COLUMNS)})
    ),
    partners AS MATERIALIZED (
        SELECT caller.user_id AS caller_id, other.user_id AS other_id
        FROM couple_members AS caller
        JOIN couple_members AS other
          ON other.couple_id = caller.couple_id AND other.user_id <> caller.user_id
        JOIN couples ON couples.id = caller.couple_id AND couples.dissolved_at IS NULL
        WHERE caller.couple_id = :couple_id AND caller.user_id = :caller_id
    ),
    joined AS MATERIALIZED (
        SELECT rows_.*,
               CASE WHEN partners.other_id = rows_.bidder_id
                    THEN partners.caller_id ELSE partners.other_id END AS responder_id
        FROM rows_
        JOIN partners ON rows_.bidder_id IN (partners.caller_id, partners.other_id)
    ),
    stamp AS MATERIALIZED (
        SELECT toward_change_stamp(:couple_id, true) AS seq
        WHERE (SELECT count(*) FROM joined) = (SELECT count(*) FROM rows_)
    ),
    inserted AS (
        INSERT INTO bids ({_COLUMNS}, change_seq)
        SELECT id, :couple_id, bidder_id, responder_id, :caller_id, occurred_at, kind,
               channel, note, private, repair, bidder_response, bidder_style,
               responder_response, responder_style, 1, request_digest, :now, :now, NULL,
               stamp.seq
        FROM joined CROSS JOIN stamp
        ORDER BY id
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM inserted) AS inserted, caller_id, other_id FROM partners
    """,
    {
        **{name: postgresql.ARRAY(_INSERT.columns[name]) for name in _ITEM_COLUMNS},
        "couple_id": _bids.c.couple_id.type,
        "caller_id": _bids.c.logged_by.type,
        "now": _bids.c.created_at.type,
    },
)
# What undoes `_INSERT_ALL` for `create_bids` to look into: an id taken, a partner gone
# (the statement trigger of alembic/versions/0014, or the couple's foreign key), or a
# deadlock with a batch of another couple that holds some of the same ids.
_NOT_ALL_INSERTED = (
    asyncpg.UniqueViolationError,
    asyncpg.ForeignKeyViolationError,
    asyncpg.DeadlockDetectedError,
)


class ResponseFilter(StrEnum):
    toward = "toward"
    away = "away"
    against = "against"
    pending = "pending"


def _check_occurred_at(occurred_at: datetime, now: datetime) -> None:
    if occurred_at > now + MAX_FUTURE:
        raise invalid("occurred_at", "may not be more than 5 minutes in the future")
    if occurred_at < EARLIEST:
        raise invalid("occurred_at", "may not be before 1900-01-01T00:00:00Z")


def _public_fields(row: Record, viewer_id: uuid.UUID) -> BidFields:
    """The fields of `BidPublic`, as `viewer_id` sees the bid, not yet validated."""
    bidder_response, responder_response = row["bidder_response"], row["responder_response"]
    perceptions: list[PerceptionFields] = []
    if bidder_response is not None:
        perceptions.append(
            {
                "partner_id": row["bidder_id"],
                "response": bidder_response,
                "style": row["bidder_style"],
            }
        )
    if responder_response is not None:
        perceptions.append(
            {
                "partner_id": row["responder_id"],
                "response": responder_response,
                "style": row["responder_style"],
            }
        )
    hidden = row["private"] and row["logged_by"] != viewer_id
    return {
        "id": row["id"],
        "couple_id": row["couple_id"],
        "bidder_id": row["bidder_id"],
        "responder_id": row["responder_id"],
        "logged_by": row["logged_by"],
        "occurred_at": row["occurred_at"],
        "kind": row["kind"],
        "channel": row["channel"],
        "note": None if hidden else row["note"],
        "private": row["private"],
        "repair": row["repair"],
        "perceptions": perceptions,
        "response": effective_response(bidder_response, responder_response),
        "agreement": bidder_response == responder_response if len(perceptions) == 2 else None,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def to_public(row: Record, viewer_id: uuid.UUID) -> BidPublic:
    return BidPublic.model_validate(_public_fields(row, viewer_id))


_BATCH_ANSWER = TypeAdapter(BidBatchResultFields)


def batch_json(stored: Sequence[tuple[Record, bool]], viewer_id: uuid.UUID) -> bytes:
    """A batch's answer: the JSON of `BidBatchResult`, byte for byte, serialised from
    the rows without validating them (stored rows are valid already): validating
    hundreds of bids cost as much again as serialising them."""
    return _BATCH_ANSWER.dump_json(
        {
            "items": [
                {"index": index, "created": created, "bid": _public_fields(row, viewer_id)}
                for index, (row, created) in enumerate(stored)
            ]
        }
    )


@lru_cache(maxsize=256)
def _bidder_member(bidder_id: uuid.UUID | None) -> bytes:
    """The `bidder_id` member of a `BidCreate`'s JSON. Kept: a couple has two bidders,
    and spelling a UUID out costs about as much as the rest of a digest."""
    return b'"bidder_id":' + pydantic_core.to_json(bidder_id)


def request_digest(body: BidCreate, bidder_id: uuid.UUID) -> str:
    """The SHA-256 of the create request once parsed, with `bidder_id` as its bidder:
    of `body.model_copy(update={"bidder_id": bidder_id}).model_dump_json()`, the JSON
    of every field. The same instant in any offset (`Instant` is UTC), and defaults
    written or left out, give the same digest."""
    dumped = BidCreate.__pydantic_serializer__.to_json(body)
    if body.bidder_id != bidder_id:
        # Half the cost of copying the model to dump the copy. The JSON opens with `id`
        # (a UUID or null) then `bidder_id`: the member's bytes are first found there.
        dumped = dumped.replace(_bidder_member(body.bidder_id), _bidder_member(bidder_id), 1)
    return hashlib.sha256(dumped).hexdigest()


def _ids(items: Sequence[BidCreate]) -> list[uuid.UUID]:
    """Each create's bid id: the one it sent, else a new one (made all together)."""
    made = iter(new_ids(sum(body.id is None for body in items)))
    return [body.id or next(made) for body in items]


def _insert_values(
    couple_id: uuid.UUID, caller_id: uuid.UUID, body: BidCreate, bid_id: uuid.UUID, now: datetime
) -> dict[str, Any]:
    """A create's row for `_INSERT`; a 422 when its `occurred_at` is out of range."""
    bidder_id = body.bidder_id or caller_id
    occurred_at = body.occurred_at or now
    _check_occurred_at(occurred_at, now)
    # The caller's own perception, as the bidder's or the responder's. `_value_`, not
    # `value`: a batch reads thousands of these, and the property costs five times more.
    response = None if body.response is None else body.response._value_
    style = None if body.style is None else body.style._value_
    by_bidder = caller_id == bidder_id
    return {
        "id": bid_id,
        "couple_id": couple_id,
        "caller_id": caller_id,
        "bidder_id": bidder_id,
        "occurred_at": occurred_at,
        "kind": body.kind._value_,
        "channel": None if body.channel is None else body.channel._value_,
        "note": body.note,
        "private": body.private,
        "repair": body.repair,
        "bidder_response": response if by_bidder else None,
        "bidder_style": style if by_bidder else None,
        "responder_response": None if by_bidder else response,
        "responder_style": None if by_bidder else style,
        "request_digest": request_digest(body, bidder_id),
        "now": now,
    }


def _created(values: dict[str, Any], responder_id: uuid.UUID) -> Record:
    """The stored row of an insert: everything but the responder was sent, so only that
    comes back."""
    now = values["now"]
    return {
        **values,
        "responder_id": responder_id,
        "logged_by": values["caller_id"],
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
    }


async def create_bid(
    database: Database, couple_id: uuid.UUID, caller_id: uuid.UUID, body: BidCreate
) -> tuple[Record, bool]:
    """The stored bid, and whether it was created now (False: a replay of the same create)."""
    values = _insert_values(couple_id, caller_id, body, _ids([body])[0], utcnow())
    inserted = await database.run_row(_INSERT, **values)
    if inserted is not None:
        return _created(values, inserted["responder_id"]), True
    async with database.begin() as (conn, trans):
        try:
            replayed = await _not_inserted(
                conn,
                couple_id,
                caller_id,
                values["bidder_id"],
                values["id"],
                values["request_digest"],
            )
            return replayed, False
        finally:
            await trans.rollback()  # it only read


async def create_bids(
    database: Database, couple_id: uuid.UUID, caller_id: uuid.UUID, items: list[BidCreate]
) -> list[tuple[Record, bool]]:
    """Every item stored, in one transaction, or none: each as `create_bid` stores it
    (a replay gives the stored bid), with the problems of all bad items at once, each
    naming its item's `index`."""
    now = utcnow()
    rows, errors = each_item(
        list(zip(items, _ids(items), strict=True)),
        lambda item: _insert_values(couple_id, caller_id, *item, now),
    )
    if not errors and database.driver_pool is not None:
        every = await _insert_all(database, couple_id, caller_id, rows, now)
        if every is not None:
            return every
    async with database.transaction() as conn:
        try:
            partners = await _partners_for_bids(conn, couple_id, caller_id)
        except Problem:
            # A phone that lost the answer to its batch sends it again: if every item was
            # stored, it gets them, whatever became of the couple since.
            replayed = await _replayed(conn, couple_id, caller_id, rows) if not errors else None
            if replayed is None:
                raise
            return replayed
        errors.extend(
            FieldError(
                field=f"items.{index}.bidder_id",
                message="must be a partner of this couple",
                index=index,
            )
            for index, row in enumerate(rows)
            if row["bidder_id"] not in partners
        )
        if errors:
            raise invalid_items(errors)
        inserted = {row["id"]: row["responder_id"] for row in await _INSERT.fetch_many(conn, rows)}
        stored = await _stored(conn, [row["id"] for row in rows if row["id"] not in inserted])
        results: list[tuple[Record, bool]] = []
        conflicts: list[FieldError] = []
        for index, row in enumerate(rows):
            responder_id = inserted.pop(row["id"], None)
            if responder_id is not None:
                stored[row["id"]] = _created(row, responder_id)
                results.append((stored[row["id"]], True))
                continue
            existing = stored.get(row["id"])
            if existing is not None and _replays(existing, couple_id, caller_id, row):
                results.append((existing, False))
                continue
            conflicts.append(FieldError(field=f"items.{index}.id", message=_ID_TAKEN, index=index))
        if conflicts:
            raise Problem(409, _ID_TAKEN, code="id-conflict", errors=conflicts)
    return results


async def _insert_all(
    database: Database,
    couple_id: uuid.UUID,
    caller_id: uuid.UUID,
    rows: list[dict[str, Any]],
    now: datetime,
) -> list[tuple[Record, bool]] | None:
    """Every row stored, by `_INSERT_ALL`, or None when it stored none. On a connection
    of the request pool, as the transaction of `create_bids` would be: waiting for the
    couple's change stamp, it holds none of those the hot path's statements share."""
    try:
        found = await database.write_apart(
            _INSERT_ALL,
            couple_id=couple_id,
            caller_id=caller_id,
            now=now,
            **{name: _column(rows, name) for name in _ITEM_COLUMNS},
        )
    except _NOT_ALL_INSERTED:
        return None
    if not found or found[0]["inserted"] != len(rows):
        return None
    caller, other = found[0]["caller_id"], found[0]["other_id"]
    partner_of = {caller: other, other: caller}
    return [(_created(row, partner_of[row["bidder_id"]]), True) for row in rows]


def _column(rows: list[dict[str, Any]], name: str) -> list[Any]:
    """A column of the rows for `unnest`, which pads a shorter array with NULLs: none at
    all when every row's is NULL (a batch's notes, channels and styles often are), so
    that the driver does not encode hundreds of them."""
    column = [row[name] for row in rows]
    return column if any(value is not None for value in column) else []


_ID_TAKEN = "A bid with this id exists already, created with another body or deleted."


async def _stored(conn: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, Record]:
    if not ids:
        return {}
    found = await conn.execute(sa.select(_bids).where(_bids.c.id.in_(ids)))
    return {row.id: row._mapping for row in found}


def _replays(existing: Record, couple_id: uuid.UUID, caller_id: uuid.UUID, row: Record) -> bool:
    """Whether a create of `row` is a replay of the one that stored `existing`."""
    return (
        existing["couple_id"] == couple_id
        and existing["logged_by"] == caller_id
        and existing["request_digest"] == row["request_digest"]
        and existing["deleted_at"] is None
    )


async def _replayed(
    conn: AsyncConnection, couple_id: uuid.UUID, caller_id: uuid.UUID, rows: Sequence[Record]
) -> list[tuple[Record, bool]] | None:
    """Every row's stored bid when each is a replay of the create that stored it, else
    None."""
    stored = await _stored(conn, [row["id"] for row in rows])
    found = [stored.get(row["id"]) for row in rows]
    if any(
        existing is None or not _replays(existing, couple_id, caller_id, row)
        for existing, row in zip(found, rows, strict=True)
    ):
        return None
    return [(existing, False) for existing in found if existing is not None]


async def _partners_for_bids(
    conn: AsyncConnection, couple_id: uuid.UUID, caller_id: uuid.UUID
) -> list[uuid.UUID]:
    """The couple's partners, when the caller is one, both have joined, and the couple
    is not dissolved; on PostgreSQL its row is then held in share mode, the first lock
    every write of the couple takes (`held_partner_ids`), before the insert's triggers
    take its counters."""
    partners = await held_partner_ids(conn, couple_id, caller_id)
    if len(partners) < 2:
        raise Problem(
            409, "Bids need both partners: share the invite code first.", code="couple-incomplete"
        )
    return partners


async def _not_inserted(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    caller_id: uuid.UUID,
    bidder_id: uuid.UUID,
    bid_id: uuid.UUID,
    digest: str,
) -> Record:
    """Why the insert wrote nothing, as the problem to answer; or the stored bid when
    the create was a replay of the same request, whatever became of the couple since
    (a phone that lost the answer sends it again)."""
    existing = (await _stored(conn, [bid_id])).get(bid_id)
    if existing is not None and _replays(
        existing, couple_id, caller_id, {"request_digest": digest}
    ):
        return existing
    partners = await _partners_for_bids(conn, couple_id, caller_id)
    if bidder_id not in partners:
        raise invalid("bidder_id", "must be a partner of this couple")
    raise Problem(409, _ID_TAKEN, code="id-conflict")


async def list_bids(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    viewer_id: uuid.UUID,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    bidder_id: uuid.UUID | None = None,
    response: ResponseFilter | None = None,
    kind: BidKind | None = None,
    cursor: str | None = None,
    limit: int,
) -> tuple[list[BidPublic], str | None]:
    query = sa.select(_bids).where(_bids.c.couple_id == couple_id, _bids.c.deleted_at.is_(None))
    if since is not None:
        query = query.where(_bids.c.occurred_at >= since)
    if until is not None:
        query = query.where(_bids.c.occurred_at < until)
    if bidder_id is not None:
        query = query.where(_bids.c.bidder_id == bidder_id)
    if kind is not None:
        query = query.where(_bids.c.kind == kind.value)
    if response == ResponseFilter.pending:
        query = query.where(_bids.c.bidder_response.is_(None), _bids.c.responder_response.is_(None))
    elif response is not None:
        effective = sa.func.toward_effective_response(
            _bids.c.bidder_response, _bids.c.responder_response
        )
        query = query.where(effective == response.value)
    rows, next_cursor = await cursors.newest_first(
        conn, query, _bids.c.occurred_at, _bids.c.id, cursor=cursor, limit=limit
    )
    return [to_public(row, viewer_id) for row in rows], next_cursor


async def get_bid_row(conn: AsyncConnection, couple_id: uuid.UUID, bid_id: uuid.UUID) -> Record:
    row = (
        await conn.execute(
            sa.select(_bids).where(
                _bids.c.id == bid_id, _bids.c.couple_id == couple_id, _bids.c.deleted_at.is_(None)
            )
        )
    ).first()
    if row is None:
        raise not_found("bid")
    return row._mapping


def etag(row: Record, viewer_id: uuid.UUID) -> str:
    """The ETag of the representation this viewer gets: the partner who cannot see a
    private note gets a tag of their own, so no cache can mix the two."""
    shared = row["private"] and row["logged_by"] != viewer_id
    return f'"{row["version"]}{"-shared" if shared else ""}"'


async def read_bid(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    bid_id: uuid.UUID,
    viewer_id: uuid.UUID,
    if_none_match: str | None,
) -> tuple[Record, bool]:
    """The bid, and whether the copy the viewer holds (`If-None-Match`) is current."""
    row = await get_bid_row(conn, couple_id, bid_id)
    held = if_none_match is not None and etag_listed(if_none_match, etag(row, viewer_id), weak=True)
    return row, held


def check_if_match(if_match: str | None, row: Record, viewer_id: uuid.UUID) -> None:
    refuse_stale(if_match, etag(row, viewer_id), "bid")


async def _write(
    conn: AsyncConnection,
    row: Record,
    changes: dict[str, Any],
    now: datetime,
    *,
    conditional: bool,
) -> Record:
    return await change_version(conn, _bids, row, changes, now, conditional=conditional, what="bid")


def _own(row: Record, caller_id: uuid.UUID) -> None:
    if row["logged_by"] != caller_id:
        raise Problem(
            403, "Only the partner who logged this bid may change or delete it.", code="not-logger"
        )


async def update_bid(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    bid_id: uuid.UUID,
    caller_id: uuid.UUID,
    body: BidUpdate,
    if_match: str | None,
) -> Record:
    row = await get_bid_row(conn, couple_id, bid_id)
    _own(row, caller_id)
    check_if_match(if_match, row, caller_id)
    changes = body.model_dump(exclude_unset=True)
    now = utcnow()
    if "occurred_at" in changes:
        _check_occurred_at(changes["occurred_at"], now)
    if not changes:
        return row
    return await _write(conn, row, changes, now, conditional=if_match is not None)


async def delete_bid(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    bid_id: uuid.UUID,
    caller_id: uuid.UUID,
    if_match: str | None,
) -> None:
    row = await get_bid_row(conn, couple_id, bid_id)
    _own(row, caller_id)
    check_if_match(if_match, row, caller_id)
    now = utcnow()
    # The tombstone keeps what sync and the figures need: not the words, nor a digest
    # of them (a short note could be guessed back from it). No request's digest is
    # empty, so replaying the id stays a conflict.
    await _write(
        conn,
        row,
        {"deleted_at": now, "note": None, "request_digest": ""},
        now,
        conditional=if_match is not None,
    )


async def set_perception(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    bid_id: uuid.UUID,
    caller_id: uuid.UUID,
    body: Perception,
    if_match: str | None,
) -> Record:
    row = await get_bid_row(conn, couple_id, bid_id)
    check_if_match(if_match, row, caller_id)
    role = "bidder" if caller_id == row["bidder_id"] else "responder"
    return await _write(
        conn,
        row,
        {
            f"{role}_response": body.response.value if body.response else None,
            f"{role}_style": body.style.value if body.style else None,
        },
        utcnow(),
        conditional=if_match is not None,
    )
