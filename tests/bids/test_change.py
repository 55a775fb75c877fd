"""`PATCH /couples/{couple_id}/bids/{bid_id}`: who may change a bid, and how."""

import uuid
from datetime import UTC, datetime

import pytest

from tests.bids.helpers import T0, from_now, get_bid, iso, log_bid, parse_time, patch_bid, perceive
from tests.http import assert_problem


async def test_the_logger_changes_a_bid(client, couple):
    bid = await log_bid(
        client, couple, kind="humor", channel="verbal", note="a joke", occurred_at=iso(T0)
    )
    etag = (await get_bid(client, couple, bid["id"])).headers["ETag"]
    changes = {
        "kind": "affection",
        "channel": "nonverbal",
        "note": "a hug",
        "occurred_at": "2024-05-07T09:00:00+02:00",
        "private": True,
        "repair": True,
    }

    response = await patch_bid(client, couple, bid["id"], changes)

    assert response.status_code == 200, response.text
    changed = response.json()
    assert {key: changed[key] for key in ("kind", "channel", "note", "private", "repair")} == {
        "kind": "affection",
        "channel": "nonverbal",
        "note": "a hug",
        "private": True,
        "repair": True,
    }
    assert parse_time(changed["occurred_at"]) == datetime(2024, 5, 7, 7, 0, tzinfo=UTC)
    assert parse_time(changed["updated_at"]) > parse_time(bid["updated_at"])
    for unchanged in ("id", "bidder_id", "responder_id", "logged_by", "created_at", "perceptions"):
        assert changed[unchanged] == bid[unchanged]
    assert response.headers["ETag"] != etag
    read = await get_bid(client, couple, bid["id"])
    assert read.json() == changed
    assert read.headers["ETag"] == response.headers["ETag"]


async def test_patch_leaves_out_fields_untouched_and_null_clears_channel_and_note(client, couple):
    bid = await log_bid(client, couple, kind="humor", channel="verbal", note="a joke", repair=True)
    response = await patch_bid(client, couple, bid["id"], {"channel": None, "note": None})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["channel"], changed["note"]) == (None, None)
    assert (changed["kind"], changed["repair"], changed["occurred_at"]) == (
        "humor",
        True,
        bid["occurred_at"],
    )


async def test_patch_by_the_other_partner_is_403(client, couple):
    bid = await log_bid(client, couple, note="mine")
    for body in ({"note": "theirs"}, {}):
        assert_problem(await patch_bid(client, couple, bid["id"], body, couple.second), 403)
    assert (await get_bid(client, couple, bid["id"])).json() == bid


async def test_patch_by_the_bidder_who_did_not_log_it_is_403(client, couple):
    bid = await log_bid(client, couple, couple.first, bidder_id=couple.second.id)
    assert_problem(await patch_bid(client, couple, bid["id"], {"kind": "play"}, couple.second), 403)
    assert (await get_bid(client, couple, bid["id"])).json()["kind"] == bid["kind"]


async def test_patch_with_if_match(client, couple):
    bid = await log_bid(client, couple, kind="humor")
    etag = (await get_bid(client, couple, bid["id"])).headers["ETag"]
    # The partner's perception changes the bid: the logger's copy is now stale.
    assert (await perceive(client, couple, bid["id"], couple.second, "toward")).status_code == 200

    stale = await patch_bid(client, couple, bid["id"], {"kind": "play"}, **{"If-Match": etag})
    assert_problem(stale, 412)
    assert (await get_bid(client, couple, bid["id"])).json()["kind"] == "humor"

    current = (await get_bid(client, couple, bid["id"])).headers["ETag"]
    response = await patch_bid(client, couple, bid["id"], {"kind": "play"}, **{"If-Match": current})
    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "play"
    assert response.headers["ETag"] not in {etag, current}

    # The ETag of the change is the one to send next; the one before is stale now.
    assert_problem(
        await patch_bid(client, couple, bid["id"], {"kind": "help"}, **{"If-Match": current}), 412
    )
    again = await patch_bid(
        client, couple, bid["id"], {"kind": "help"}, **{"If-Match": response.headers["ETag"]}
    )
    assert again.status_code == 200, again.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"kind": None}, "kind", id="null-kind"),
        pytest.param({"occurred_at": None}, "occurred_at", id="null-time"),
        pytest.param({"private": None}, "private", id="null-private"),
        pytest.param({"repair": None}, "repair", id="null-repair"),
        pytest.param({"kind": "tickle"}, "kind", id="bad-kind"),
        pytest.param({"channel": "smoke"}, "channel", id="bad-channel"),
        pytest.param({"note": "n" * 1001}, "note", id="long-note"),
        pytest.param({"occurred_at": "2024-05-06T12:00:00"}, "occurred_at", id="naive-time"),
        pytest.param({"occurred_at": "future"}, "occurred_at", id="future-time"),
        pytest.param(
            {"occurred_at": "0001-01-01T00:00:00+01:00"}, "occurred_at", id="before-year-1-in-utc"
        ),
        pytest.param({"bidder_id": "other"}, "bidder_id", id="bidder_id"),
        pytest.param({"logged_by": "other"}, "logged_by", id="logged_by"),
        pytest.param({"response": "toward"}, "response", id="response"),
        pytest.param({"couple_id": str(uuid.uuid4())}, "couple_id", id="couple_id"),
    ],
)
async def test_patch_rejects_bad_input(client, couple, body, field):
    bid = await log_bid(client, couple, kind="humor", note="keep")
    body = {
        key: (
            couple.second.id
            if value == "other"
            else iso(from_now(minutes=6))
            if value == "future"
            else value
        )
        for key, value in body.items()
    }
    assert_problem(await patch_bid(client, couple, bid["id"], body), 422, field)
    assert (await get_bid(client, couple, bid["id"])).json() == bid


async def test_patch_accepts_a_time_4_minutes_ahead(client, couple):
    bid = await log_bid(client, couple)
    moment = from_now(minutes=4)
    response = await patch_bid(client, couple, bid["id"], {"occurred_at": iso(moment)})
    assert response.status_code == 200, response.text
    assert parse_time(response.json()["occurred_at"]) == moment


async def test_patch_a_deleted_bid_is_404(client, couple):
    bid = await log_bid(client, couple)
    await client.delete(f"{couple.bids}/{bid['id']}", headers=couple.first.headers)
    assert_problem(await patch_bid(client, couple, bid["id"], {"kind": "play"}), 404)
