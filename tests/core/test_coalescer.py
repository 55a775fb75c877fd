"""Concurrent reads of the same key share one statement, and none of them sees a state
older than its own request, or, for a read that trusts what the worker has heard, older
than the last change of its couple heard before it."""

import asyncio
import uuid
from typing import Any

import pytest

from api.core.notices import ChangeClock
from api.core.sql import Coalescer, Current, Record
from api.trends.service import KnownStates


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


def _current(clock: ChangeClock, couple_id: uuid.UUID) -> Current:
    return KnownStates(clock, 10).current(couple_id)


async def _sent() -> None:
    """Until the reads asked for have run as far as they can: the first is sent."""
    for _ in range(3):
        await asyncio.sleep(0)


async def test_a_read_joins_the_running_one_while_nothing_of_the_couple_is_heard() -> None:
    coalescer, source, clock = Coalescer(), Source(), ChangeClock()
    clock.listening(True)
    couple, other = uuid.uuid4(), uuid.uuid4()
    source.gate.clear()
    first = asyncio.create_task(coalescer.read("couple", source.fetch, _current(clock, couple)))
    await _sent()  # running, held at the gate
    clock.heard(other)  # another couple's change tells nothing of this one
    joined = asyncio.create_task(coalescer.read("couple", source.fetch, _current(clock, couple)))
    await _sent()
    clock.heard(couple)  # the running read may have missed this change
    after = asyncio.create_task(coalescer.read("couple", source.fetch, _current(clock, couple)))
    await _sent()
    source.gate.set()
    assert await first == [{"run": 1}]
    assert await joined == [{"run": 1}]
    assert await after == [{"run": 2}]
    assert source.runs == 2


@pytest.mark.parametrize("listening", [False, None])
async def test_no_read_joins_while_the_worker_is_not_listening(listening: bool | None) -> None:
    """Not listening, or listening no more since the running read was sent (the
    connection lost: whatever came meanwhile is unknown)."""
    coalescer, source, clock = Coalescer(), Source(), ChangeClock()
    couple = uuid.uuid4()
    clock.listening(listening is None)
    source.gate.clear()
    first = asyncio.create_task(coalescer.read("couple", source.fetch, _current(clock, couple)))
    await _sent()
    if listening is None:
        clock.listening(False)
        clock.listening(True)
    later = asyncio.create_task(coalescer.read("couple", source.fetch, _current(clock, couple)))
    await _sent()
    source.gate.set()
    assert (await first, await later) == ([{"run": 1}], [{"run": 2}])


async def test_a_failed_read_fails_those_that_joined_it_and_a_cancelled_one_leaves() -> None:
    coalescer, source, clock = Coalescer(), Source(), ChangeClock()
    clock.listening(True)
    couple = uuid.uuid4()
    source.gate.clear()
    source.fail = ConnectionError("database gone")
    first = asyncio.create_task(coalescer.read("couple", source.fetch, _current(clock, couple)))
    await _sent()
    joined = [
        asyncio.create_task(coalescer.read("couple", source.fetch, _current(clock, couple)))
        for _ in range(3)
    ]
    await _sent()
    joined[1].cancel()
    source.gate.set()
    for read in (first, joined[0], joined[2]):
        with pytest.raises(ConnectionError):
            await read
    with pytest.raises(asyncio.CancelledError):
        await joined[1]
    assert source.runs == 1  # the three joined the first read: none ran again
