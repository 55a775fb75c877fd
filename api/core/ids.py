"""New random ids, many at a time."""

import os
import uuid

_SIZE = 16


def new_ids(count: int) -> list[uuid.UUID]:
    """`count` random UUIDs (version 4, as `uuid.uuid4()` makes) from one read of the
    system's random source: `uuid.uuid4()` reads it once per id, a system call each,
    which a batch of hundreds of ids feels."""
    random = os.urandom(_SIZE * count)
    return [
        uuid.UUID(bytes=random[start : start + _SIZE], version=4)
        for start in range(0, len(random), _SIZE)
    ]
