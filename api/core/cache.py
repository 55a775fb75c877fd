"""A small per-process memory, the least recently used entry out first; and
computations shared by concurrent asks for the same key.

Their users key them by everything a value depends on, read from the database on every
request (the trends: `Version` in api/trends/memory.py), so a hit is never stale:
any write moves the key, and the next read computes afresh."""

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
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


class Shared(Generic[K, V]):
    """Concurrent asks for the same key share one computation. The key must name
    everything the value depends on, so that the computation already running is as good
    as one started now. It runs as a task of its own: an asker that gives up (its client
    left) does not cancel it for the others."""

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(compute())
            self._running[key] = running
            running.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(running)

    def _finished(self, key: K, done: "asyncio.Future[V]") -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved here too: every asker may have given up
