"""Concurrent reads of the same key share one statement, and none of them sees a state
older than its own request."""

import asyncio
from typing import Any

import pytest

from api.core.sql import Coalescer, Record


class Source:
    """A read that returns how many times it ran, and can be held open."""

    def __init__(self) -> None:
        self.runs = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail: Exception | None = None

    async def fetch(self) -> list[Record]:
        self.runs += 1
        started = self.runs
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return [{"run": started}]


async def test_reads_that_wait_together_share_one_statement() -> None:
    coalescer, source = Coalescer(), Source()
    source.gate.clear()
    first = asyncio.create_task(coalescer.read("couple", source.fetch))
    await asyncio.sleep(0)  # the first read is running, held at the gate
    later = [asyncio.create_task(coalescer.read("couple", source.fetch)) for _ in range(5)]
    await asyncio.sleep(0)
    source.gate.set()
    assert await first == [{"run": 1}]
    # They arrived while the first ran: they get a read that began after they asked.
    assert [await task for task in later] == [[{"run": 2}]] * 5
    assert source.runs == 2


async def test_other_keys_do_not_wait_for_each_other() -> None:
    coalescer, source = Coalescer(), Source()
    results = await asyncio.gather(
        coalescer.read("a", source.fetch), coalescer.read("b", source.fetch)
    )
    assert sorted(result[0]["run"] for result in results) == [1, 2]


async def test_a_failed_read_fails_its_waiters_and_the_next_read_runs_again() -> None:
    coalescer, source = Coalescer(), Source()
    source.fail = ConnectionError("database gone")
    with pytest.raises(ConnectionError):
        await coalescer.read("couple", source.fetch)
    source.fail = None
    assert await coalescer.read("couple", source.fetch) == [{"run": 2}]


async def test_a_cancelled_reader_does_not_disturb_the_others() -> None:
    coalescer, source = Coalescer(), Source()
    source.gate.clear()
    readers: list[asyncio.Task[Any]] = [
        asyncio.create_task(coalescer.read("couple", source.fetch)) for _ in range(3)
    ]
    await asyncio.sleep(0)
    readers[1].cancel()
    source.gate.set()
    assert await readers[0] == [{"run": 1}]
    assert await readers[2] == [{"run": 1}]
    with pytest.raises(asyncio.CancelledError):
        await readers[1]
