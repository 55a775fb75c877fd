"""Concurrent asks for one key share one computation (api/core/cache.py `Shared`)."""

import asyncio

from api.core.cache import Shared


async def test_concurrent_asks_share_one_computation_and_later_ones_compute_again() -> None:
    shared: Shared[str, int] = Shared()
    calls = 0
    release = asyncio.Event()

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return calls

    asks = [asyncio.ensure_future(shared.get("k", compute)) for _ in range(4)]
    await asyncio.sleep(0)
    release.set()

    assert await asyncio.gather(*asks) == [1, 1, 1, 1]
    assert await shared.get("k", compute) == 2


async def test_other_keys_compute_apart() -> None:
    shared: Shared[str, str] = Shared()

    async def compute(key: str) -> str:
        await asyncio.sleep(0)
        return key

    both = await asyncio.gather(
        shared.get("a", lambda: compute("a")), shared.get("b", lambda: compute("b"))
    )

    assert list(both) == ["a", "b"]


async def test_an_asker_that_gives_up_does_not_cancel_the_others() -> None:
    shared: Shared[str, str] = Shared()
    release = asyncio.Event()

    async def compute() -> str:
        await release.wait()
        return "done"

    leaving = asyncio.ensure_future(shared.get("k", compute))
    staying = asyncio.ensure_future(shared.get("k", compute))
    await asyncio.sleep(0)
    leaving.cancel()
    await asyncio.sleep(0)
    release.set()

    assert await staying == "done"
    assert leaving.cancelled()


async def test_a_failure_reaches_every_asker_and_is_not_remembered() -> None:
    shared: Shared[str, str] = Shared()
    failures = 0

    async def compute() -> str:
        nonlocal failures
        failures += 1
        await asyncio.sleep(0)
        raise ConnectionError("lost")

    outcomes = await asyncio.gather(
        *(shared.get("k", compute) for _ in range(3)), return_exceptions=True
    )
    again = await asyncio.gather(shared.get("k", compute), return_exceptions=True)

    assert [type(outcome) for outcome in outcomes] == [ConnectionError] * 3
    assert type(again[0]) is ConnectionError
    assert failures == 2
