"""A private note is seen by its author only."""

from typing import Any

from tests.bids.helpers import T0, get_bid, iso, list_page, log_bid, patch_bid, perceive


async def test_a_private_note_is_seen_only_by_its_author(client, couple):
    author, partner = couple.first, couple.second
    created = await log_bid(
        client, couple, author, note="I felt unseen", private=True, occurred_at=iso(T0)
    )
    assert created["note"] == "I felt unseen"
    bid_id = created["id"]

    def note_for(items: list[dict[str, Any]]) -> Any:
        return next(item["note"] for item in items if item["id"] == bid_id)

    # read
    assert (await get_bid(client, couple, bid_id, author)).json()["note"] == "I felt unseen"
    seen = (await get_bid(client, couple, bid_id, partner)).json()
    assert seen["note"] is None
    assert seen["private"] is True  # the partner still sees the bid itself
    # list
    assert note_for((await list_page(client, couple, author))["items"]) == "I felt unseen"
    assert note_for((await list_page(client, couple, partner))["items"]) is None
    # perception answers
    assert (await perceive(client, couple, bid_id, partner, "away")).json()["note"] is None
    assert (await perceive(client, couple, bid_id, author, "toward")).json()[
        "note"
    ] == "I felt unseen"


async def test_a_private_note_logged_about_the_partner_stays_with_its_logger(client, couple):
    # The second partner logs the first partner's bid, privately.
    bid = await log_bid(
        client, couple, couple.second, bidder_id=couple.first.id, note="mine", private=True
    )
    assert (await get_bid(client, couple, bid["id"], couple.second)).json()["note"] == "mine"
    assert (await get_bid(client, couple, bid["id"], couple.first)).json()["note"] is None


async def test_making_a_note_private_and_public_again(client, couple):
    bid = await log_bid(client, couple, note="shared")
    assert (await get_bid(client, couple, bid["id"], couple.second)).json()["note"] == "shared"

    private = await patch_bid(client, couple, bid["id"], {"private": True})
    assert private.json()["note"] == "shared"
    assert (await get_bid(client, couple, bid["id"], couple.second)).json()["note"] is None

    await patch_bid(client, couple, bid["id"], {"private": False})
    assert (await get_bid(client, couple, bid["id"], couple.second)).json()["note"] == "shared"
