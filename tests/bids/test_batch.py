"""`POST /couples/{id}/bids:batch`: what a phone that was offline sends at once. Every
item stored or none; each item stored, and replayed, as a single create; every bad
item named by its index."""

import uuid
from datetime import timedelta
from typing import Any

import httpx

from models.bid import MAX_BATCH
from tests.batches import check_replays
from tests.bids.helpers import T0, iso, listed_ids, post_bid
from tests.factories import Couple, Person, make_couple
from tests.http import assert_problem
from tests.therapists.helpers import grant_both, new_therapist


def batch_path(couple: Couple) -> str:
    return f"{couple.bids}:batch"


def item(**fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "kind": "humor", "occurred_at": iso(T0), **fields}


async def push(
    client: httpx.AsyncClient,
    couple: Couple,
    items: list[dict[str, Any]],
    who: Person | None = None,
) -> httpx.Response:
    return await client.post(
        batch_path(couple), json={"items": items}, headers=(who or couple.first).headers
    )


async def test_every_item_is_stored_in_order(client: httpx.AsyncClient, couple: Couple) -> None:
    items = [
        item(note="first", response="toward"),
        item(kind="support", occurred_at=iso(T0 + timedelta(hours=1))),
        item(bidder_id=couple.second.id if couple.second else None, response="away"),
    ]
    pushed = await push(client, couple, items)
    assert pushed.status_code == 201, pushed.text
    answered = pushed.json()["items"]
    assert [entry["index"] for entry in answered] == [0, 1, 2]
    assert all(entry["created"] for entry in answered)
    assert [entry["bid"]["id"] for entry in answered] == [entry["id"] for entry in items]
    assert answered[0]["bid"]["note"] == "first"
    assert answered[0]["bid"]["response"] == "toward"
    assert answered[2]["bid"]["responder_id"] == couple.first.id
    assert sorted(await listed_ids(client, couple)) == sorted(entry["id"] for entry in items)
    # Each stored bid reads as the batch answered it.
    for entry in answered:
        read = await client.get(f"{couple.bids}/{entry['bid']['id']}", headers=couple.first.headers)
        assert read.json() == entry["bid"]


async def test_a_batch_sent_again_is_replayed_item_by_item(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    await check_replays(
        lambda items: push(client, couple, items),
        lambda body: post_bid(client, couple, **body),
        item,
        "bid",
    )
    assert len(await listed_ids(client, couple)) == 4


async def test_one_bad_item_in_the_middle_stores_nothing(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    items = [item(), item(occurred_at="2999-01-01T00:00:00Z"), item(), item()]
    pushed = await push(client, couple, items)
    body = assert_problem(pushed, 422, "items.1.occurred_at")
    assert [(error["index"], error["field"]) for error in body["errors"]] == [
        (1, "items.1.occurred_at")
    ]
    assert await listed_ids(client, couple) == []
    # An item the body's schema refuses is named the same way.
    typed = await push(client, couple, [item(), item(kind="shouting")])
    body = assert_problem(typed, 422, "items.1.kind")
    assert [error["index"] for error in body["errors"]] == [1]
    stranger_bidder = await push(client, couple, [item(), item(bidder_id=str(uuid.uuid4()))])
    body = assert_problem(stranger_bidder, 422, "items.1.bidder_id")
    assert [error["index"] for error in body["errors"]] == [1]
    assert await listed_ids(client, couple) == []


async def test_an_id_taken_by_another_create_fails_the_batch(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    taken = item(note="the first body")
    assert (await post_bid(client, couple, **taken)).status_code == 201
    fresh = item()
    pushed = await push(client, couple, [fresh, {**taken, "note": "another body"}])
    body = assert_problem(pushed, 409, "items.1.id")
    assert body["type"] == "urn:toward:problem:id-conflict"
    assert [error["index"] for error in body["errors"]] == [1]
    assert await listed_ids(client, couple) == [taken["id"]]
    # The same id twice in one batch: stored once when the bodies agree, else a 409.
    twice = item()
    doubled = await push(client, couple, [twice, twice])
    assert [entry["created"] for entry in doubled.json()["items"]] == [True, False]
    differing = item()
    clash = await push(client, couple, [differing, {**differing, "note": "other"}])
    assert [error["index"] for error in assert_problem(clash, 409)["errors"]] == [1]
    assert differing["id"] not in await listed_ids(client, couple)


async def test_a_deleted_bids_id_is_not_taken_again(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    gone = item()
    created = await post_bid(client, couple, **gone)
    deleted = await client.delete(
        f"{couple.bids}/{created.json()['id']}", headers=couple.first.headers
    )
    assert deleted.status_code == 204
    assert_problem(await push(client, couple, [gone]), 409, "items.0.id")


async def test_the_batch_has_bounds(client: httpx.AsyncClient, couple: Couple) -> None:
    assert_problem(await push(client, couple, []), 422, "items")
    too_many = [{"kind": "humor"} for _ in range(MAX_BATCH + 1)]
    assert_problem(await push(client, couple, too_many), 422, "items")
    # The largest batch, with notes: more than a single create's body limit, and taken.
    full = [item(note="n" * 150) for _ in range(MAX_BATCH)]
    pushed = await push(client, couple, full)
    assert len(pushed.request.content) > 64 * 1024
    assert pushed.status_code == 201, pushed.text
    assert len(pushed.json()["items"]) == MAX_BATCH
    huge = [item(note="n" * 1000) for _ in range(MAX_BATCH)]
    too_large = await client.post(
        batch_path(couple),
        content=b'{"items": [' + b",".join(str(huge).encode() for _ in range(2)) + b"]}",
        headers={**couple.first.headers, "Content-Type": "application/json"},
    )
    assert_problem(too_large, 413)


async def test_only_the_couples_partners_push(
    client: httpx.AsyncClient, couple: Couple, stranger: Person
) -> None:
    unauthenticated = await client.post(batch_path(couple), json={"items": [item()]})
    assert_problem(unauthenticated, 401)
    other = await make_couple(client)
    assert_problem(await push(client, couple, [item()], who=other.first), 404)
    assert_problem(await push(client, couple, [item()], who=stranger), 404)
    therapist = await new_therapist(client)
    await grant_both(client, couple, therapist)
    assert_problem(await push(client, couple, [item()], who=therapist), 404)
    assert await listed_ids(client, couple) == []


async def test_a_couple_still_waiting_for_its_second_partner_cannot_push(
    client: httpx.AsyncClient,
) -> None:
    alone = await make_couple(client, joined=False)
    pushed = await push(client, alone, [item()])
    assert assert_problem(pushed, 409)["type"] == "urn:toward:problem:couple-incomplete"


async def test_the_trends_count_a_batch(client: httpx.AsyncClient, couple: Couple) -> None:
    items = [item(occurred_at=iso(T0), response="toward") for _ in range(3)]
    assert (await push(client, couple, items)).status_code == 201
    trends = await client.get(
        f"{couple.path}/trends/weekly",
        params={"end": T0.date().isoformat(), "weeks": 1},
        headers=couple.first.headers,
    )
    assert trends.json()["weeks"][-1]["toward"] == 3
