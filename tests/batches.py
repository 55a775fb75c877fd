"""What every batch create (`…:batch`) must do with items sent before, shared by the
bid and activity batch tests."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.locks import waiting_for_locks

Push = Callable[[list[dict[str, Any]]], Awaitable[httpx.Response]]


async def check_replays(
    push: Push,
    create_one: Callable[[dict[str, Any]], Awaitable[httpx.Response]],
    item: Callable[..., dict[str, Any]],
    stored: str,
) -> None:
    """A batch sent again is replayed item by item (200, the stored items as first
    answered); one part new, part sent before (a single create included) is a 201 with
    each item as it is. `stored`: the name of the answer's stored item (`bid`)."""
    items = [item(), item(note="again")]
    first = await push(items)
    again = await push(items)
    assert again.status_code == 200, again.text
    assert [entry["created"] for entry in again.json()["items"]] == [False, False]
    assert [entry[stored] for entry in again.json()["items"]] == [
        entry[stored] for entry in first.json()["items"]
    ]
    single = item()
    assert (await create_one(single)).status_code == 201
    mixed = await push([items[0], single, item()])
    assert mixed.status_code == 201
    assert [entry["created"] for entry in mixed.json()["items"]] == [False, False, True]


def ids_in_order(count: int) -> list[str]:
    """`count` new ids, each after the one before in the database's order."""
    return [str(uuid.UUID(int=n << 124 | uuid.uuid4().int >> 4)) for n in range(1, count + 1)]


async def check_no_deadlock(
    engine: AsyncEngine,
    hold: Callable[[AsyncConnection, str], Awaitable[Any]],
    ours: Push,
    theirs: Push,
    item: Callable[..., dict[str, Any]],
) -> None:
    """Two couples' batches (`ours`, `theirs`) with two ids in common, in the other
    order, one held up between them: a third transaction holds an id it sends (`hold`
    writes it, as another couple's create would). Were each stored in the order sent,
    each would hold one shared id and wait for the other's, and the database would end
    one with a deadlock. In the order of the ids, one stores every item and the other is
    refused at the two."""
    x, held, y = (item(id=bid_id) for bid_id in ids_in_order(3))
    async with engine.connect() as holder, engine.connect() as watcher:
        watching = await watcher.execution_options(isolation_level="AUTOCOMMIT")
        transaction = await holder.begin()
        await hold(holder, held["id"])
        first = asyncio.create_task(ours([x, held, y]))
        await waiting_for_locks(watching)
        second = asyncio.create_task(theirs([y, x]))
        await waiting_for_locks(watching, sessions=2)
        await transaction.rollback()
        pushed = [await first, await second]
    assert sorted(response.status_code for response in pushed) == [201, 409], [
        response.text for response in pushed
    ]
    refused = next(response for response in pushed if response.status_code == 409)
    assert [error["index"] for error in refused.json()["errors"]] == [0, 1]
