"""`PUT /couples/{couple_id}/bids/{bid_id}/perception`: each partner's view of a bid,
the effective response and the agreement."""

from typing import Any

import pytest

from tests.bids.helpers import get_bid, log_bid, perceive
from tests.factories import Person
from tests.http import assert_problem


def own_view(bid: dict[str, Any], person: Person) -> dict[str, Any] | None:
    views = [p for p in bid["perceptions"] if p["partner_id"] == person.id]
    assert len(views) <= 1
    return views[0] if views else None


async def test_each_partner_sets_only_their_own_perception(client, couple):
    bid = await log_bid(client, couple)  # the first partner bids

    bidder = await perceive(client, couple, bid["id"], couple.first, "toward", "attentive")
    assert bidder.status_code == 200, bidder.text
    assert bidder.json()["perceptions"] == [
        {"partner_id": couple.first.id, "response": "toward", "style": "attentive"}
    ]
    assert bidder.headers.get("ETag")

    responder = await perceive(client, couple, bid["id"], couple.second, "away", "preoccupied")
    assert responder.status_code == 200, responder.text
    views = responder.json()["perceptions"]
    assert len(views) == 2
    assert own_view(responder.json(), couple.first) == {
        "partner_id": couple.first.id,
        "response": "toward",
        "style": "attentive",
    }
    assert own_view(responder.json(), couple.second) == {
        "partner_id": couple.second.id,
        "response": "away",
        "style": "preoccupied",
    }

    # Setting it again replaces the caller's view and leaves the other's alone.
    again = (await perceive(client, couple, bid["id"], couple.second, "against")).json()
    assert len(again["perceptions"]) == 2
    assert own_view(again, couple.second) == {
        "partner_id": couple.second.id,
        "response": "against",
        "style": None,
    }
    assert own_view(again, couple.first)["response"] == "toward"
    assert (await get_bid(client, couple, bid["id"], couple.second)).json() == again


@pytest.mark.parametrize(
    ("bidder_view", "responder_view", "effective", "agreement"),
    [
        (None, None, None, None),
        ("toward", None, "toward", None),
        (None, "away", "away", None),
        ("against", None, "against", None),
        ("toward", "toward", "toward", True),
        ("away", "away", "away", True),
        ("toward", "against", "toward", False),
        ("against", "toward", "against", False),
        ("away", "toward", "away", False),
    ],
)
async def test_effective_response_and_agreement(
    client, couple, bidder_view, responder_view, effective, agreement
):
    # The second partner bids, so the views do not follow the join order.
    bid = await log_bid(client, couple, couple.second)
    bidder, responder = couple.second, couple.first
    result = bid
    for person, view in ((bidder, bidder_view), (responder, responder_view)):
        if view is not None:
            response = await perceive(client, couple, bid["id"], person, view)
            assert response.status_code == 200, response.text
            result = response.json()
    assert (result["response"], result["agreement"]) == (effective, agreement)
    assert len(result["perceptions"]) == (bidder_view is not None) + (responder_view is not None)
    for reader in (couple.first, couple.second):
        read = (await get_bid(client, couple, bid["id"], reader)).json()
        assert (read["response"], read["agreement"]) == (effective, agreement)


async def test_a_null_response_withdraws_the_callers_view(client, couple):
    bid = await log_bid(client, couple, response="toward", style="attentive")
    await perceive(client, couple, bid["id"], couple.second, "away")

    withdrawn = await perceive(client, couple, bid["id"], couple.first, None)

    assert withdrawn.status_code == 200, withdrawn.text
    body = withdrawn.json()
    assert body["perceptions"] == [
        {"partner_id": couple.second.id, "response": "away", "style": None}
    ]
    assert (body["response"], body["agreement"]) == ("away", None)


async def test_perception_with_a_stale_if_match_is_412(client, couple):
    bid = await log_bid(client, couple)
    etag = (await get_bid(client, couple, bid["id"])).headers["ETag"]
    await perceive(client, couple, bid["id"], couple.first, "toward")
    assert_problem(
        await perceive(client, couple, bid["id"], couple.second, "away", **{"If-Match": etag}), 412
    )
    assert (await get_bid(client, couple, bid["id"])).json()["perceptions"] == [
        {"partner_id": couple.first.id, "response": "toward", "style": None}
    ]


async def test_perception_on_a_deleted_bid_is_404(client, couple):
    bid = await log_bid(client, couple)
    await client.delete(f"{couple.bids}/{bid['id']}", headers=couple.first.headers)
    assert_problem(await perceive(client, couple, bid["id"], couple.second, "toward"), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({}, "response", id="missing-response"),
        pytest.param({"response": "sideways"}, "response", id="bad-response"),
        pytest.param({"response": "away", "style": "attentive"}, "style", id="style-of-toward"),
        pytest.param({"response": "toward", "style": "critical"}, "style", id="style-of-against"),
        pytest.param(
            {"response": None, "style": "attentive"}, "style", id="style-without-response"
        ),
        pytest.param(
            {"response": "toward", "partner_id": "other"}, "partner_id", id="someone-elses"
        ),
        pytest.param({"response": "toward", "role": "bidder"}, "role", id="unknown-field"),
    ],
)
async def test_perception_rejects_bad_input(client, couple, body, field):
    bid = await log_bid(client, couple, response="toward")
    body = {key: couple.second.id if value == "other" else value for key, value in body.items()}
    response = await client.put(
        f"{couple.bids}/{bid['id']}/perception", json=body, headers=couple.first.headers
    )
    assert_problem(response, 422, field)
    assert (await get_bid(client, couple, bid["id"])).json() == bid
