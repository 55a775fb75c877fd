"""New ids, many at a time, in the order they are made."""

import os
import time
import uuid

_RANDOM_BYTES = 10


def new_ids(count: int) -> list[uuid.UUID]:
    """`count` UUIDs of version 7 (RFC 9562): the time in milliseconds, then 74
    random bits, from one read of the system's random source. Ids made by the server
    go in at the end of the bids' primary key index, not at random places in it: a
    batch of hundreds dirties a few of its pages, not hundreds (and writes as few
    whole pages to the log after a checkpoint)."""
    moment = time.time_ns() // 1_000_000
    random = os.urandom(_RANDOM_BYTES * count)
    made = []
    for start in range(0, len(random), _RANDOM_BYTES):
        tail = int.from_bytes(random[start : start + _RANDOM_BYTES])
        # 48 bits of time, version 7, 12 random bits, variant 10, 62 random bits.
        value = (moment << 80) | (0x7 << 76) | ((tail >> 62) & 0xFFF) << 64
        value |= (0b10 << 62) | (tail & ((1 << 62) - 1))
        made.append(uuid.UUID(int=value))
    return made
