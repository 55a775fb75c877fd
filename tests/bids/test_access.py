"""Who may call the bid endpoints: a partner of another couple, a therapist and a
caller without a valid token get nothing."""

import uuid
from typing import Any

import httpx
import pytest

from tests.bids.helpers import first_couple_id, get_bid, listed_ids, log_bid
from tests.factories import Couple, register
from tests.http import assert_problem

BID_ROUTES = [
    pytest.param("GET", "", None, id="GET bids"),
    pytest.param("POST", "", {"kind": "play"}, id="POST bids"),
    pytest.param("GET", "/{bid}", None, id="GET bid"),
    pytest.param("PATCH", "/{bid}", {"note": "changed"}, id="PATCH bid"),
    pytest.param("DELETE", "/{bid}", None, id="DELETE bid"),
    pytest.param("PUT", "/{bid}/perception", {"response": "against"}, id="PUT perception"),
]


async def _unchanged(client: httpx.AsyncClient, couple: Couple, bid: dict[str, Any]) -> None:
    assert (await get_bid(client, couple, bid["id"])).json() == bid
    assert await listed_ids(client, couple) == [bid["id"]]


@pytest.mark.parametrize(("method", "suffix", "body"), BID_ROUTES)
async def test_a_partner_of_another_couple_gets_404(client, couple, stranger, method, suffix, body):
    bid = await log_bid(client, couple, note="ours")
    path = couple.bids + suffix.replace("{bid}", bid["id"])

    problem = assert_problem(
        await client.request(method, path, json=body, headers=stranger.headers), 404
    )

    # Exactly what a couple that does not exist looks like.
    missing = f"/api/v1/couples/{uuid.uuid4()}/bids" + suffix.replace("{bid}", bid["id"])
    assert problem == assert_problem(
        await client.request(method, missing, json=body, headers=stranger.headers), 404
    )
    await _unchanged(client, couple, bid)


@pytest.mark.parametrize(
    ("method", "suffix", "body"), [p for p in BID_ROUTES if "{bid}" in p.values[1]]
)
async def test_a_bid_of_another_couple_is_404_through_ones_own_couple(
    client, couple, stranger, method, suffix, body
):
    bid = await log_bid(client, couple, note="ours")
    own_bids = f"/api/v1/couples/{await first_couple_id(client, stranger)}/bids"
    response = await client.request(
        method, own_bids + suffix.replace("{bid}", bid["id"]), json=body, headers=stranger.headers
    )
    assert_problem(response, 404)
    await _unchanged(client, couple, bid)


@pytest.mark.parametrize(("method", "suffix", "body"), BID_ROUTES)
async def test_a_therapist_gets_404(client, couple, method, suffix, body):
    bid = await log_bid(client, couple)
    therapist = await register(client, "Dr", account_type="therapist")
    path = couple.bids + suffix.replace("{bid}", bid["id"])
    assert_problem(await client.request(method, path, json=body, headers=therapist.headers), 404)
    await _unchanged(client, couple, bid)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param({"Authorization": "Bearer not-a-token"}, id="bad-token"),
    ],
)
@pytest.mark.parametrize(("method", "suffix", "body"), BID_ROUTES)
async def test_without_a_valid_token_is_401(client, couple, method, suffix, body, headers):
    bid = await log_bid(client, couple)
    path = couple.bids + suffix.replace("{bid}", bid["id"])
    assert_problem(await client.request(method, path, json=body, headers=headers), 401)
    await _unchanged(client, couple, bid)
