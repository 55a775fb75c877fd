"""The changes feed: what changed in a couple after a position, as the caller may see it.

Every write stamps its rows with the couple's next change sequence value, taken under
a lock held until commit (alembic/versions/0008), so the values of a couple become
visible in order: one snapshot's rows after a position are every change after it. A
page is read in one snapshot, and ends either at its last item or, when it is the
last page, at the snapshot's sequence value."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.activities.service import to_public as activity_public
from api.bids.service import to_public as bid_public
from api.changes.position import ACTIVITY, BID, CHECKIN, COUPLE, Position, read
from api.checkins.service import to_public as checkin_public
from api.core.db import Database
from api.core.errors import Problem, invalid, not_found
from api.core.sql import Record
from api.couples.service import get_couple, partner_ids
from models.activity import Activity
from models.bid import Bid
from models.change import ChangesPage, ChangeType, CoupleChanges, Tombstone
from models.checkin import Checkin
from models.couple import Couple

_changes: sa.Table = CoupleChanges.__table__  # type: ignore[attr-defined]
_couples: sa.Table = Couple.__table__  # type: ignore[attr-defined]
_TABLES: dict[int, sa.Table] = {
    BID: Bid.__table__,  # type: ignore[attr-defined]
    CHECKIN: Checkin.__table__,  # type: ignore[attr-defined]
    ACTIVITY: Activity.__table__,  # type: ignore[attr-defined]
}
_TYPES = {BID: ChangeType.bid, CHECKIN: ChangeType.checkin, ACTIVITY: ChangeType.activity}
_checkins = _TABLES[CHECKIN]


def expired() -> Problem:
    return Problem(
        410,
        "This cursor is older than the tombstones kept, or ahead of what the server "
        "holds: sync again from no cursor.",
        code="cursor-expired",
    )


def _after(position: Position, rank: int, seq: sa.ColumnElement[int], item_id: Any) -> Any:
    """The rows of type `rank` that come after `position` in the feed's order."""
    if position.item_id is None or position.rank > rank:
        return seq > position.seq
    if position.rank < rank:
        return seq >= position.seq
    return sa.tuple_(seq, item_id) > sa.tuple_(
        sa.literal(position.seq, sa.BigInteger), sa.literal(position.item_id, sa.Uuid)
    )


async def _rows(
    conn: AsyncConnection, couple_id: uuid.UUID, rank: int, position: Position, limit: int
) -> list[Record]:
    table = _TABLES[rank]
    query = (
        sa.select(table)
        .where(
            table.c.couple_id == couple_id,
            _after(position, rank, table.c.change_seq, table.c.id),
            # Tombstones a sync from nothing never held.
            sa.or_(table.c.deleted_at.is_(None), table.c.change_seq > position.skip),
        )
        .order_by(table.c.change_seq, table.c.id)
        .limit(limit)
    )
    return [row._mapping for row in await conn.execute(query)]


class _Reveals:
    """The reveal rule in the feed. A partner's check-in is the viewer's to see while the
    viewer has a live check-in for the same date, so what the viewer may hold changes
    when either of the two changes:

    - the partner's check-in comes as it is while revealed; changed or deleted while
      hidden, it does not come at all (the viewer learns nothing of it);
    - its deletion comes as a tombstone when the viewer's own check-in was live from
      before the deletion on (the viewer may hold it);
    - the viewer's own check-in coming to life brings the partner's of that date with
      it, unless that one comes anyway, further on in the feed;
    - the viewer's own check-in deleted takes the partner's of that date away: the
      client drops it with its own (API.md, "Offline sync")."""

    def __init__(self, own: list[Record], partners: list[Record]):
        self._own = {row["local_date"]: row for row in own}
        self._partners = {row["local_date"]: row for row in partners}

    @classmethod
    async def of(
        cls, conn: AsyncConnection, couple_id: uuid.UUID, viewer_id: uuid.UUID, page: list[Record]
    ) -> "_Reveals":
        dates = {row["local_date"] for row in page}
        own: list[Record] = []
        partners: list[Record] = []
        if dates:
            rows = await conn.execute(
                sa.select(_checkins).where(
                    _checkins.c.couple_id == couple_id, _checkins.c.local_date.in_(dates)
                )
            )
            for row in rows:
                (own if row.partner_id == viewer_id else partners).append(row._mapping)
        return cls(own, partners)

    def _own_live_since(self, row: Record) -> datetime | None:
        own = self._own.get(row["local_date"])
        return None if own is None or own["deleted_at"] is not None else own["created_at"]

    def seen(self, row: Record) -> bool | None:
        """A partner's check-in as the viewer gets it: True as it is, False as a
        tombstone, None not at all."""
        since = self._own_live_since(row)
        if row["deleted_at"] is None:
            return True if since is not None else None
        return False if since is not None and since <= row["deleted_at"] else None

    def brought(self, own: Record, position: Position) -> Record | None:
        """The partner's live check-in that the viewer's own, come to life, reveals,
        unless it comes on its own after `position`."""
        partner = self._partners.get(own["local_date"])
        if own["deleted_at"] is not None or partner is None or partner["deleted_at"] is not None:
            return None
        if position.precedes(partner["change_seq"], CHECKIN, partner["id"]):
            return None
        return partner


async def current_seq(database: Database, couple_id: uuid.UUID, viewer_id: uuid.UUID) -> int:
    """How far the couple's change sequence has run; a 404 for anyone but its partners."""
    async with database.snapshot() as conn:
        if viewer_id not in await partner_ids(conn, couple_id):
            raise not_found("couple")
        seq = await conn.scalar(sa.select(_changes.c.seq).where(_changes.c.couple_id == couple_id))
        return seq or 0


async def read_changes(
    database: Database,
    couple_id: uuid.UUID,
    viewer_id: uuid.UUID,
    cursor: str | None,
    limit: int,
) -> ChangesPage:
    position = None if not cursor else read(cursor, couple_id)
    if cursor and position is None:
        raise invalid("cursor", "is not a cursor of this couple's feed")
    async with database.snapshot() as conn:
        if viewer_id not in await partner_ids(conn, couple_id):
            raise not_found("couple")
        state = (
            await conn.execute(
                sa.select(_changes.c.seq, _changes.c.purged_through).where(
                    _changes.c.couple_id == couple_id
                )
            )
        ).first()
        current, purged_through = state if state is not None else (0, 0)
        if position is None:
            position = Position.start(skip=current)
        # A cursor ahead of the couple's sequence is one from before the database was
        # restored from a backup: what it holds may never have been stored.
        elif position.lost_to(purged_through) or max(position.seq, position.skip) > current:
            raise expired()
        return await _page(conn, couple_id, viewer_id, position, current, limit)


async def _page(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    viewer_id: uuid.UUID,
    position: Position,
    current: int,
    limit: int,
) -> ChangesPage:
    # Each type's first `limit + 1` rows after the position; the page is the first
    # `limit` of them all, in the feed's order.
    found: list[tuple[int, int, uuid.UUID, Record | None]] = []
    for rank in _TABLES:
        found += [
            (row["change_seq"], rank, row["id"], row)
            for row in await _rows(conn, couple_id, rank, position, limit + 1)
        ]
    couple_seq = (
        await conn.execute(sa.select(_couples.c.change_seq).where(_couples.c.id == couple_id))
    ).scalar_one()
    # The couple comes first of its sequence value: past a position of that value, it
    # was handed out.
    if couple_seq > position.seq:
        found.append((couple_seq, COUPLE, couple_id, None))
    found.sort(key=lambda item: item[:3])
    has_more = len(found) > limit
    page = found[:limit]

    checkins = [row for _, rank, _, row in page if rank == CHECKIN and row is not None]
    reveals = await _Reveals.of(conn, couple_id, viewer_id, checkins)
    answer = ChangesPage(
        couple=None,
        bids=[],
        checkins=[],
        activities=[],
        deleted=[],
        next_cursor="",
        has_more=has_more,
    )
    for _, rank, item_id, row in page:
        if row is None:
            answer.couple = await get_couple(conn, couple_id, viewer_id)
            continue
        live = row["deleted_at"] is None
        if rank == CHECKIN and row["partner_id"] != viewer_id:
            seen = reveals.seen(row)
            if seen is None:
                continue
            live = seen
        if not live:
            answer.deleted.append(Tombstone(type=_TYPES[rank], id=item_id))
        elif rank == BID:
            answer.bids.append(bid_public(row, viewer_id))
        elif rank == CHECKIN:
            answer.checkins.append(checkin_public(row, viewer_id))
            brought = reveals.brought(row, position) if row["partner_id"] == viewer_id else None
            if brought is not None:
                answer.checkins.append(checkin_public(brought, viewer_id))
        else:
            answer.activities.append(activity_public(row))
    if has_more:
        last_seq, last_rank, last_id, _ = page[-1]
        answer.next_cursor = position.after(last_seq, last_rank, last_id).cursor(couple_id)
    else:
        answer.next_cursor = position.through(current).cursor(couple_id)
    return answer


async def _purgeable(conn: AsyncConnection, before: datetime) -> list[uuid.UUID]:
    """The couples with tombstones older than `before` (a union: each once)."""
    old = (
        sa.select(table.c.couple_id).where(table.c.deleted_at < before)
        for table in _TABLES.values()
    )
    return sorted((await conn.scalars(sa.union(*old))).all())


async def purge_tombstones(database: Database, now: datetime, days: int) -> None:
    """Delete for good the tombstones older than `days`, a couple at a time, and move
    the couple's horizon (`purged_through`) past them: a cursor from before it is a
    410. The couple's row is taken first, then its counters, then the rows: the order
    every write takes them in (alembic/versions/0008)."""
    before = now - timedelta(days=days)
    async with database.transaction() as conn:
        couples = await _purgeable(conn, before)
    for couple_id in couples:
        async with database.transaction() as conn:
            await conn.execute(
                sa.select(_couples.c.id)
                .where(_couples.c.id == couple_id)
                .with_for_update(read=True)
            )
            through = 0
            for table in _TABLES.values():
                old = (table.c.couple_id == couple_id, table.c.deleted_at < before)
                highest = await conn.scalar(sa.select(sa.func.max(table.c.change_seq)).where(*old))
                through = max(through, highest or 0)
            await conn.execute(
                sa.update(_changes)
                .where(_changes.c.couple_id == couple_id, _changes.c.purged_through < through)
                .values(purged_through=through)
            )
            for table in _TABLES.values():
                await conn.execute(
                    sa.delete(table).where(
                        table.c.couple_id == couple_id, table.c.deleted_at < before
                    )
                )
