"""`GET /couples/{couple_id}/bids`: order, filters, pages and their cursor."""

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.bids.helpers import (
    BID_FIELDS,
    T0,
    first_couple_id,
    iso,
    list_page,
    listed_ids,
    log_bid,
    parse_time,
    perceive,
)
from tests.factories import Couple
from tests.http import assert_problem


async def test_list_is_newest_first(client, couple):
    offsets = [3, 0, 5, 1, 4, 2]
    logged = {
        hours: await log_bid(client, couple, occurred_at=iso(T0 + timedelta(hours=hours)))
        for hours in offsets
    }
    page = await list_page(client, couple)
    assert set(page) == {"items", "next_cursor"}
    assert page["next_cursor"] is None
    assert [item["id"] for item in page["items"]] == [
        logged[h]["id"] for h in sorted(offsets, reverse=True)
    ]
    assert page["items"][0] == logged[5]
    for item in page["items"]:
        assert set(item) == BID_FIELDS


async def test_list_shows_both_partners_the_couples_bids_only(client, couple, stranger):
    mine = await log_bid(client, couple, couple.first, occurred_at=iso(T0))
    theirs = await log_bid(
        client, couple, couple.second, occurred_at=iso(T0 + timedelta(minutes=1))
    )
    stranger_bids = f"/api/v1/couples/{await first_couple_id(client, stranger)}/bids"
    other = await client.post(stranger_bids, json={"kind": "play"}, headers=stranger.headers)
    assert other.status_code == 201

    expected = [theirs["id"], mine["id"]]
    assert await listed_ids(client, couple, couple.first) == expected
    assert await listed_ids(client, couple, couple.second) == expected
    stranger_list = (await client.get(stranger_bids, headers=stranger.headers)).json()["items"]
    assert [item["id"] for item in stranger_list] == [other.json()["id"]]


async def test_list_since_is_inclusive_and_until_exclusive(client, couple):
    ids = [
        (await log_bid(client, couple, occurred_at=iso(T0 + timedelta(hours=h))))["id"]
        for h in range(4)
    ]
    at = [T0 + timedelta(hours=h) for h in range(4)]

    assert await listed_ids(client, couple, since=iso(at[1])) == [ids[3], ids[2], ids[1]]
    assert await listed_ids(client, couple, until=iso(at[2])) == [ids[1], ids[0]]
    assert await listed_ids(client, couple, since=iso(at[1]), until=iso(at[3])) == [ids[2], ids[1]]
    assert await listed_ids(client, couple, since=iso(at[1]), until=iso(at[1])) == []
    # The same instants in another offset select the same bids.
    paris = "+02:00"
    since = (at[1] + timedelta(hours=2)).replace(tzinfo=None).isoformat() + paris
    until = (at[3] + timedelta(hours=2)).replace(tzinfo=None).isoformat() + paris
    assert await listed_ids(client, couple, since=since, until=until) == [ids[2], ids[1]]
    # One microsecond after a bid excludes it from `since`, includes it in `until`.
    tiny = timedelta(microseconds=1)
    assert await listed_ids(client, couple, since=iso(at[2] + tiny)) == [ids[3]]
    assert await listed_ids(client, couple, until=iso(at[0] + tiny)) == [ids[0]]


async def test_list_filters_by_bidder_and_kind(client, couple):
    a = await log_bid(client, couple, couple.first, kind="humor", occurred_at=iso(T0))
    b = await log_bid(
        client, couple, couple.second, kind="humor", occurred_at=iso(T0 + timedelta(minutes=1))
    )
    c = await log_bid(
        client, couple, couple.first, kind="support", occurred_at=iso(T0 + timedelta(minutes=2))
    )
    d = await log_bid(
        client,
        couple,
        couple.first,
        bidder_id=couple.second.id,
        kind="support",
        occurred_at=iso(T0 + timedelta(minutes=3)),
    )

    assert await listed_ids(client, couple, bidder_id=couple.first.id) == [c["id"], a["id"]]
    assert await listed_ids(client, couple, bidder_id=couple.second.id) == [d["id"], b["id"]]
    assert await listed_ids(client, couple, bidder_id=str(uuid.uuid4())) == []
    assert await listed_ids(client, couple, kind="humor") == [b["id"], a["id"]]
    assert await listed_ids(client, couple, kind="intimacy") == []
    assert await listed_ids(client, couple, kind="support", bidder_id=couple.first.id) == [c["id"]]


async def test_list_filters_on_the_effective_response(client, couple):
    first, second = couple.first, couple.second

    async def bid_with(minute: int, bidder_view: str | None, responder_view: str | None) -> str:
        bid = await log_bid(client, couple, first, occurred_at=iso(T0 + timedelta(minutes=minute)))
        if bidder_view:
            assert (
                await perceive(client, couple, bid["id"], first, bidder_view)
            ).status_code == 200
        if responder_view:
            assert (
                await perceive(client, couple, bid["id"], second, responder_view)
            ).status_code == 200
        return bid["id"]

    pending = await bid_with(0, None, None)
    toward_by_bidder = await bid_with(1, "toward", None)
    away_by_responder = await bid_with(2, None, "away")
    toward_over_against = await bid_with(3, "toward", "against")  # the bidder's view wins
    against_over_toward = await bid_with(4, "against", "toward")

    assert await listed_ids(client, couple, response="pending") == [pending]
    assert await listed_ids(client, couple, response="toward") == [
        toward_over_against,
        toward_by_bidder,
    ]
    assert await listed_ids(client, couple, response="away") == [away_by_responder]
    assert await listed_ids(client, couple, response="against") == [against_over_toward]


async def test_list_leaves_out_deleted_bids(client, couple):
    kept = await log_bid(client, couple, occurred_at=iso(T0))
    gone = await log_bid(client, couple, occurred_at=iso(T0 + timedelta(minutes=1)))
    assert (
        await client.delete(f"{couple.bids}/{gone['id']}", headers=couple.first.headers)
    ).status_code == 204
    assert await listed_ids(client, couple) == [kept["id"]]
    assert await listed_ids(client, couple, couple.second) == [kept["id"]]


async def walk_pages(
    client: httpx.AsyncClient, couple: Couple, limit: int, **params: Any
) -> list[dict[str, Any]]:
    """Every item of every page, following next_cursor to the end."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        page = await list_page(client, couple, **query)
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert page["items"], "a page with a next_cursor must not be empty"
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 9, 10])
async def test_pages_visit_every_bid_once_even_with_equal_times(client, couple, limit):
    # 9 bids, only 4 distinct instants: ties must be broken the same way on every page.
    hours = [0, 1, 1, 1, 1, 2, 2, 3, 3]
    logged = [
        await log_bid(client, couple, occurred_at=iso(T0 + timedelta(hours=h))) for h in hours
    ]
    everything = (await list_page(client, couple, limit=200))["items"]
    assert len(everything) == len(logged)

    walked = await walk_pages(client, couple, limit)

    ids = [item["id"] for item in walked]
    assert len(ids) == len(set(ids))
    assert set(ids) == {bid["id"] for bid in logged}
    assert ids == [item["id"] for item in everything]
    times = [parse_time(item["occurred_at"]) for item in walked]
    assert times == sorted(times, reverse=True)


async def test_pages_keep_to_the_filters(client, couple):
    hours = [0, 1, 1, 1, 2, 2, 3]
    humor = [
        (await log_bid(client, couple, kind="humor", occurred_at=iso(T0 + timedelta(hours=h))))[
            "id"
        ]
        for h in hours
    ]
    for h in hours:
        await log_bid(client, couple, kind="play", occurred_at=iso(T0 + timedelta(hours=h)))

    walked = await walk_pages(client, couple, 2, kind="humor", since=iso(T0 + timedelta(hours=1)))

    ids = [item["id"] for item in walked]
    assert len(ids) == len(set(ids)) == 6
    assert set(ids) == set(humor[1:])
    assert {item["kind"] for item in walked} == {"humor"}


async def test_next_cursor_leads_to_the_rest(client, couple):
    for minute in range(3):
        await log_bid(client, couple, occurred_at=iso(T0 + timedelta(minutes=minute)))
    page = await list_page(client, couple, limit=2)
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    rest = await list_page(client, couple, limit=2, cursor=page["next_cursor"])
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None


@pytest.mark.parametrize("limit", [1, 200])
async def test_list_accepts_the_limit_bounds(client, couple, limit):
    await log_bid(client, couple)
    assert len((await list_page(client, couple, limit=limit))["items"]) == 1


def _cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"limit": 0}, "limit", id="limit-0"),
        pytest.param({"limit": 201}, "limit", id="limit-201"),
        pytest.param({"limit": -5}, "limit", id="limit-negative"),
        pytest.param({"limit": "many"}, "limit", id="limit-text"),
        pytest.param({"since": "2024-05-06T12:00:00"}, "since", id="naive-since"),
        pytest.param({"until": "tomorrow"}, "until", id="bad-until"),
        pytest.param(
            {"since": "0001-01-01T00:00:00+01:00"}, "since", id="since-before-year-1-in-utc"
        ),
        pytest.param(
            {"until": "9999-12-31T23:00:00-05:00"}, "until", id="until-after-year-9999-in-utc"
        ),
        pytest.param({"bidder_id": "ana"}, "bidder_id", id="bad-bidder"),
        pytest.param({"response": "maybe"}, "response", id="bad-response"),
        pytest.param({"kind": "tickle"}, "kind", id="bad-kind"),
        pytest.param({"cursor": "garbage"}, "cursor", id="garbage-cursor"),
        pytest.param({"cursor": "!!!***"}, "cursor", id="not-base64"),
        pytest.param({"cursor": "x" * 500}, "cursor", id="long-cursor"),
        pytest.param({"cursor": _cursor_of({"at": 1})}, "cursor", id="object-cursor"),
        pytest.param({"cursor": _cursor_of(None)}, "cursor", id="null-cursor"),
        pytest.param(
            {"cursor": _cursor_of(["2024-05-06T12:00:00", str(uuid.uuid4())])},
            "cursor",
            id="naive-cursor",
        ),
        pytest.param(
            {"cursor": _cursor_of(["2024-05-06T12:00:00Z", 42])}, "cursor", id="number-as-id"
        ),
        pytest.param({"cursor": _cursor_of([1, str(uuid.uuid4())])}, "cursor", id="number-as-time"),
        pytest.param(
            {"cursor": _cursor_of(["2024-05-06T12:00:00Z", ["x"]])}, "cursor", id="list-as-id"
        ),
        pytest.param(
            {"cursor": _cursor_of(["0001-01-01T00:00:00+01:00", str(uuid.uuid4())])},
            "cursor",
            id="time-before-year-1-in-utc",
        ),
    ],
)
async def test_list_rejects_bad_parameters(client, couple, params, field):
    await log_bid(client, couple)
    response = await client.get(couple.bids, params=params, headers=couple.first.headers)
    assert_problem(response, 422, field)
