"""A create sent again with the same id: a replay gives the stored bid, anything else
with that id is a 409."""

import uuid

import pytest
import sqlalchemy as sa

from models.bid import Bid
from tests.bids.helpers import T0, first_couple_id, get_bid, iso, listed_ids, log_bid, post_bid
from tests.factories import register
from tests.http import assert_problem


async def test_replaying_a_create_gives_the_stored_bid_and_writes_nothing(client, couple):
    body = {
        "id": str(uuid.uuid4()),
        "kind": "play",
        "note": "tag!",
        "occurred_at": "2024-05-06T10:00:00Z",
    }
    created = await post_bid(client, couple, **body)
    assert created.status_code == 201

    replay = await post_bid(client, couple, **body)

    assert replay.status_code == 200, replay.text
    assert replay.json() == created.json()
    assert await listed_ids(client, couple) == [body["id"]]


async def test_replaying_a_create_without_a_time(client, couple):
    body = {"id": str(uuid.uuid4()), "kind": "play", "response": "toward"}
    created = (await post_bid(client, couple, **body)).json()
    replay = await post_bid(client, couple, **body)
    assert replay.status_code == 200, replay.text
    assert replay.json() == created
    assert await listed_ids(client, couple) == [body["id"]]


@pytest.mark.parametrize(
    ("first", "again"),
    [
        pytest.param("2024-05-06T12:00:00+02:00", "2024-05-06T10:00:00Z", id="offset-then-Z"),
        pytest.param("2024-05-06T10:00:00Z", "2024-05-06T12:00:00+02:00", id="Z-then-offset"),
        pytest.param(
            "2024-05-06T10:00:00+00:00", "2024-05-06T05:00:00.000-05:00", id="fraction-and-negative"
        ),
    ],
)
async def test_the_same_instant_in_another_offset_is_a_replay(client, couple, first, again):
    bid_id = str(uuid.uuid4())
    created = (await post_bid(client, couple, id=bid_id, occurred_at=first)).json()
    replay = await post_bid(client, couple, id=bid_id, occurred_at=again)
    assert replay.status_code == 200, replay.text
    assert replay.json() == created
    assert await listed_ids(client, couple) == [bid_id]


async def test_defaults_spelled_out_are_a_replay(client, couple):
    bid_id = str(uuid.uuid4())
    created = (await post_bid(client, couple, id=bid_id, occurred_at=iso(T0))).json()
    replay = await post_bid(
        client,
        couple,
        id=bid_id,
        occurred_at=iso(T0),
        bidder_id=couple.first.id,
        channel=None,
        note=None,
        private=False,
        repair=False,
        response=None,
        style=None,
    )
    assert replay.status_code == 200, replay.text
    assert replay.json() == created


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "humor"},
        {"note": "something else"},
        {"occurred_at": "2024-05-06T10:00:01Z"},
        {"response": "toward"},
        {"private": True},
        {"bidder_id": "second"},
    ],
)
async def test_the_same_id_with_another_body_is_409(client, couple, change):
    body = {
        "id": str(uuid.uuid4()),
        "kind": "play",
        "note": "tag!",
        "occurred_at": "2024-05-06T10:00:00Z",
    }
    created = (await post_bid(client, couple, **body)).json()
    if change.get("bidder_id") == "second":
        change = {"bidder_id": couple.second.id}

    assert_problem(await post_bid(client, couple, **(body | change)), 409)

    assert (await get_bid(client, couple, body["id"])).json() == created
    assert await listed_ids(client, couple) == [body["id"]]


async def test_the_other_partner_replaying_an_id_is_409(client, couple):
    body = {"id": str(uuid.uuid4()), "kind": "play", "occurred_at": "2024-05-06T10:00:00Z"}
    created = (await post_bid(client, couple, couple.first, **body)).json()
    assert_problem(await post_bid(client, couple, couple.second, **body), 409)
    # Not even with the body spelled out to match what the first partner logged.
    assert_problem(
        await post_bid(client, couple, couple.second, **body, bidder_id=couple.first.id), 409
    )
    assert (await get_bid(client, couple, body["id"])).json() == created
    assert await listed_ids(client, couple) == [body["id"]]


async def test_recreating_a_deleted_id_is_409(client, couple):
    body = {"id": str(uuid.uuid4()), "kind": "play", "occurred_at": "2024-05-06T10:00:00Z"}
    await log_bid(client, couple, **body)
    assert (
        await client.delete(f"{couple.bids}/{body['id']}", headers=couple.first.headers)
    ).status_code == 204

    assert_problem(await post_bid(client, couple, **body), 409)
    assert_problem(await post_bid(client, couple, **(body | {"kind": "humor"})), 409)
    assert_problem(await get_bid(client, couple, body["id"]), 404)
    assert await listed_ids(client, couple) == []


BIDS: sa.Table = Bid.__table__  # type: ignore[attr-defined]


async def test_a_deleted_bid_keeps_no_digest_of_its_words(client, couple, conn):
    body = {"id": str(uuid.uuid4()), "kind": "support", "note": "rough day", "private": True}
    await log_bid(client, couple, **body)
    digest = sa.select(BIDS.c.request_digest).where(BIDS.c.id == uuid.UUID(body["id"]))
    assert len(await conn.scalar(digest)) == 64

    await client.delete(f"{couple.bids}/{body['id']}", headers=couple.first.headers)

    assert await conn.scalar(digest) == ""
    assert (
        await conn.scalar(sa.select(BIDS.c.note).where(BIDS.c.id == uuid.UUID(body["id"]))) is None
    )
    # Replaying the very create that made it is still a conflict.
    assert_problem(await post_bid(client, couple, **body), 409)


async def test_an_id_taken_in_another_couple_is_409_and_stays_hidden(client, couple, stranger):
    body = {"id": str(uuid.uuid4()), "kind": "play", "occurred_at": "2024-05-06T10:00:00Z"}
    created = (await post_bid(client, couple, **body)).json()
    stranger_couple = f"/api/v1/couples/{await first_couple_id(client, stranger)}/bids"

    response = await client.post(stranger_couple, json=body, headers=stranger.headers)

    assert_problem(response, 409)
    assert (await get_bid(client, couple, body["id"])).json() == created
    listed = (await client.get(stranger_couple, headers=stranger.headers)).json()["items"]
    assert listed == []


async def test_the_same_partner_replaying_an_id_in_their_other_couple_is_409(client, couple):
    other = await client.post("/api/v1/couples", json={}, headers=couple.first.headers)
    carl = await register(client, "Carl")
    joined = await client.post(
        "/api/v1/couples/join", json={"code": other.json()["invite"]["code"]}, headers=carl.headers
    )
    assert joined.status_code == 200, joined.text
    other_bids = f"/api/v1/couples/{other.json()['id']}/bids"
    body = {"id": str(uuid.uuid4()), "kind": "play", "occurred_at": "2024-05-06T10:00:00Z"}
    created = await log_bid(client, couple, **body)

    response = await client.post(other_bids, json=body, headers=couple.first.headers)

    assert_problem(response, 409)
    assert (await client.get(other_bids, headers=couple.first.headers)).json()["items"] == []
    assert (await get_bid(client, couple, body["id"])).json() == created
