"""Where a reader of the changes feed stands: the opaque cursor it holds.

The feed is ordered by (change sequence, type, id); a position is the last item handed
out, or the end of a sequence value (every item at or below it). `skip` is the
sequence value at which a sync that began from nothing started: the tombstones at or
below it were deleted before that sync saw anything, so it is never handed them. A
cursor names its couple (a short digest of the couple's id), so that one couple's
cursor is never taken for another's."""

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from api.core.cursor import pack, unpack

# Types in the order the feed hands out those of one sequence value.
COUPLE, BID, CHECKIN, ACTIVITY = range(4)
_TAG = "s"


def couple_tag(couple_id: uuid.UUID) -> str:
    return hashlib.blake2b(couple_id.bytes, digest_size=6).hexdigest()


@dataclass(frozen=True)
class Position:
    seq: int
    rank: int = ACTIVITY
    # None: past every item of `seq`.
    item_id: uuid.UUID | None = None
    skip: int = -1

    @classmethod
    def start(cls, skip: int) -> "Position":
        """Before everything, for a sync from nothing that began at `skip`."""
        return cls(-1, skip=skip)

    def after(self, seq: int, rank: int, item_id: uuid.UUID) -> "Position":
        return Position(seq, rank, item_id, self.skip)

    def through(self, seq: int) -> "Position":
        """Past every item of `seq` and below: the end of a snapshot."""
        return Position(max(seq, self.seq), skip=self.skip)

    def precedes(self, seq: int, rank: int, item_id: uuid.UUID) -> bool:
        """Whether the item at (seq, rank, id) comes after this position."""
        if seq != self.seq:
            return seq > self.seq
        if self.item_id is None:
            return False
        return (rank, item_id) > (self.rank, self.item_id)

    def lost_to(self, purged_through: int) -> bool:
        """Whether a tombstone deleted for good (all at or below `purged_through`) may
        be one this reader has yet to be handed: then its cursor is answered 410."""
        if purged_through <= self.skip:
            return False
        return self.seq < purged_through or (
            self.seq == purged_through and self.item_id is not None
        )

    def cursor(self, couple_id: uuid.UUID) -> str:
        item = None if self.item_id is None else str(self.item_id)
        return pack([_TAG, couple_tag(couple_id), self.seq, self.rank, item, self.skip])


def _integer(value: Any, least: int) -> int | None:
    return value if type(value) is int and least <= value < 2**63 else None


def read(cursor: str, couple_id: uuid.UUID) -> Position | None:
    """The position a cursor of `Position.cursor` for this couple names; None for
    anything else."""
    parts = unpack(cursor)
    if parts is None or len(parts) != 6 or parts[0] != _TAG:
        return None
    _, couple, seq, rank, item, skip = parts
    seq, skip, rank = _integer(seq, -1), _integer(skip, -1), _integer(rank, COUPLE)
    if couple != couple_tag(couple_id) or seq is None or skip is None or rank is None:
        return None
    if rank > ACTIVITY:
        return None
    if item is None:
        return Position(seq, rank, None, skip)
    if not isinstance(item, str) or seq < 0:
        return None
    try:
        return Position(seq, rank, uuid.UUID(item), skip)
    except ValueError:
        return None
