"""Where a reader of the changes feed stands: the opaque cursor it holds.

The feed is ordered by (change sequence, type, id); a position is the last item handed
out, or the end of a sequence value (every item at or below it). `skip` is the
sequence value at which a sync that began from nothing started: the tombstones at or
below it were deleted before that sync saw anything, so it is never handed them."""

import uuid
from dataclasses import dataclass
from typing import Any

from api.core.cursor import pack, unpack

# Types in the order the feed hands out those of one sequence value.
COUPLE, BID, CHECKIN, ACTIVITY = range(4)
_TAG = "s"


@dataclass(frozen=True, order=True)
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

    def holds_after(self, seq: int) -> bool:
        """Whether a reader here has yet to see items of sequence value `seq`."""
        return self.seq < seq or (self.seq == seq and self.item_id is not None)

    def cursor(self) -> str:
        item = None if self.item_id is None else str(self.item_id)
        return pack([_TAG, self.seq, self.rank, item, self.skip])


def _integer(value: Any, least: int) -> int | None:
    return value if type(value) is int and least <= value < 2**63 else None


def read(cursor: str) -> Position | None:
    """The position a cursor of `Position.cursor` names; None for anything else."""
    parts = unpack(cursor)
    if parts is None or len(parts) != 5 or parts[0] != _TAG:
        return None
    _, seq, rank, item, skip = parts
    seq, skip = _integer(seq, -1), _integer(skip, -1)
    if seq is None or skip is None or rank not in (COUPLE, BID, CHECKIN, ACTIVITY):
        return None
    if item is None:
        return Position(seq, rank, None, skip)
    if not isinstance(item, str):
        return None
    try:
        return Position(seq, rank, uuid.UUID(item), skip)
    except ValueError:
        return None
