"""A small per-process memory of computed trends, keyed by everything they depend on.

A couple's figures change only when its bids, settings or partners do; the key holds a
version of each (`bid_versions.version`, `couples.updated_at`, the partner ids), read
in one statement on every request. So a hit is never stale: any write moves the
version, and the next read computes afresh."""

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
