"""What every batch create (`…:batch`) must do with items sent before, shared by the
bid and activity batch tests."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

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
