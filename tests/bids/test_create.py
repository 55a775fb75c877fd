"""`POST /couples/{couple_id}/bids`: the bid it logs, and the input it refuses."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from models.vocabulary import STYLES_BY_RESPONSE
from tests.bids.helpers import (
    BID_FIELDS,
    from_now,
    get_bid,
    iso,
    listed_ids,
    log_bid,
    parse_time,
    perceive,
    post_bid,
)
from tests.factories import make_couple
from tests.http import assert_problem


async def test_create_fills_in_the_defaults(client, couple):
    before = datetime.now(UTC)
    response = await post_bid(client, couple, kind="humor")
    after = datetime.now(UTC)

    assert response.status_code == 201, response.text
    bid = response.json()
    assert set(bid) == BID_FIELDS
    uuid.UUID(bid["id"])
    assert bid["couple_id"] == couple.id
    assert bid["bidder_id"] == couple.first.id
    assert bid["responder_id"] == couple.second.id
    assert bid["logged_by"] == couple.first.id
    assert (
        before - timedelta(seconds=1)
        <= parse_time(bid["occurred_at"])
        <= after + timedelta(seconds=1)
    )
    assert bid["kind"] == "humor"
    assert (bid["channel"], bid["note"], bid["private"], bid["repair"]) == (
        None,
        None,
        False,
        False,
    )
    assert (bid["perceptions"], bid["response"], bid["agreement"]) == ([], None, None)
    assert parse_time(bid["created_at"]) == parse_time(bid["updated_at"])
    assert response.headers.get("ETag")

    read = await get_bid(client, couple, bid["id"])
    assert read.status_code == 200
    assert read.json() == bid
    assert read.headers["ETag"] == response.headers["ETag"]


async def test_create_by_the_second_partner_makes_the_first_the_responder(client, couple):
    bid = await log_bid(client, couple, couple.second)
    assert (bid["bidder_id"], bid["responder_id"], bid["logged_by"]) == (
        couple.second.id,
        couple.first.id,
        couple.second.id,
    )


async def test_create_with_every_field(client, couple):
    chosen = str(uuid.uuid4())
    bid = await log_bid(
        client,
        couple,
        id=chosen,
        bidder_id=couple.first.id,
        occurred_at="2024-05-06T14:30:00+02:00",
        kind="support",
        channel="written",
        note="Sent a photo of the sunset",
        private=False,
        repair=True,
        response="toward",
        style="high_energy",
    )
    assert bid["id"] == chosen
    assert parse_time(bid["occurred_at"]) == datetime(2024, 5, 6, 12, 30, tzinfo=UTC)
    assert bid["occurred_at"].endswith(("Z", "+00:00"))  # responses give UTC
    assert (bid["kind"], bid["channel"], bid["note"], bid["repair"]) == (
        "support",
        "written",
        "Sent a photo of the sunset",
        True,
    )
    assert bid["perceptions"] == [
        {"partner_id": couple.first.id, "response": "toward", "style": "high_energy"}
    ]
    assert (bid["response"], bid["agreement"]) == ("toward", None)
    assert (await get_bid(client, couple, chosen)).json() == bid


async def test_create_for_the_other_partner_records_the_callers_view_as_the_responders(
    client, couple
):
    bid = await log_bid(
        client, couple, bidder_id=couple.second.id, response="away", style="preoccupied"
    )
    assert (bid["bidder_id"], bid["responder_id"], bid["logged_by"]) == (
        couple.second.id,
        couple.first.id,
        couple.first.id,
    )
    assert bid["perceptions"] == [
        {"partner_id": couple.first.id, "response": "away", "style": "preoccupied"}
    ]
    assert (bid["response"], bid["agreement"]) == ("away", None)

    # The bidder's own view, once given, is the effective one.
    answered = await perceive(client, couple, bid["id"], couple.second, "toward")
    assert answered.status_code == 200, answered.text
    assert (answered.json()["response"], answered.json()["agreement"]) == ("toward", False)


@pytest.mark.parametrize(
    ("response", "style"),
    [
        (response.value, style.value)
        for response, styles in STYLES_BY_RESPONSE.items()
        for style in sorted(styles)
    ]
    + [(response.value, None) for response in STYLES_BY_RESPONSE],
)
async def test_create_accepts_every_style_of_its_response(client, couple, response, style):
    body = {"response": response} | ({"style": style} if style else {})
    bid = await log_bid(client, couple, **body)
    assert bid["perceptions"] == [
        {"partner_id": couple.first.id, "response": response, "style": style}
    ]


@pytest.mark.parametrize(
    ("response", "style"),
    [
        ("away", "attentive"),
        ("toward", "contemptuous"),
        ("against", "preoccupied"),
        ("toward", "interrupting"),
        (None, "attentive"),
    ],
)
async def test_create_refuses_a_style_of_another_response(client, couple, response, style):
    assert_problem(await post_bid(client, couple, response=response, style=style), 422, "style")
    assert await listed_ids(client, couple) == []


async def test_create_refuses_a_style_without_a_response(client, couple):
    assert_problem(await post_bid(client, couple, style="attentive"), 422, "style")
    assert await listed_ids(client, couple) == []


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(lambda: iso(from_now(minutes=4)), id="4-minutes-ahead"),
        pytest.param(lambda: "1990-02-03T04:05:06Z", id="long-ago"),
        pytest.param(lambda: iso(from_now(days=-400)), id="last-year"),
        pytest.param(lambda: "1900-01-01T00:00:00Z", id="earliest"),
        pytest.param(
            lambda: iso(from_now(minutes=4).astimezone(timezone(timedelta(hours=5, minutes=30)))),
            id="4-minutes-ahead-in-India",
        ),
    ],
)
async def test_create_accepts_any_past_time_and_a_little_ahead(client, couple, moment):
    given = moment()
    bid = await log_bid(client, couple, occurred_at=given)
    assert parse_time(bid["occurred_at"]) == parse_time(given)


async def test_create_accepts_a_note_of_1000_characters(client, couple):
    bid = await log_bid(client, couple, note="n" * 1000)
    assert bid["note"] == "n" * 1000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"kind": None}, "kind", id="null-kind"),
        pytest.param({"kind": "tickle"}, "kind", id="unknown-kind"),
        pytest.param({"channel": "telepathy"}, "channel", id="unknown-channel"),
        pytest.param({"response": "sideways"}, "response", id="unknown-response"),
        pytest.param({"response": "toward", "style": "smug"}, "style", id="unknown-style"),
        pytest.param({"occurred_at": "2024-05-06T12:00:00"}, "occurred_at", id="naive-time"),
        pytest.param({"occurred_at": "yesterday"}, "occurred_at", id="not-a-time"),
        pytest.param(
            {"occurred_at": "0001-01-01T00:00:00+01:00"}, "occurred_at", id="before-year-1-in-utc"
        ),
        pytest.param({"occurred_at": "0001-01-01T00:00:00Z"}, "occurred_at", id="year-1"),
        pytest.param({"occurred_at": "1899-12-31T23:59:59Z"}, "occurred_at", id="before-1900"),
        pytest.param({"note": "n" * 1001}, "note", id="long-note"),
        pytest.param({"id": "not-a-uuid"}, "id", id="bad-id"),
        pytest.param({"bidder_id": "not-a-uuid"}, "bidder_id", id="bad-bidder-id"),
        pytest.param({"private": "sometimes"}, "private", id="bad-private"),
        pytest.param({"repair": [True]}, "repair", id="bad-repair"),
        pytest.param({"couple_id": str(uuid.uuid4())}, "couple_id", id="unknown-couple_id"),
        pytest.param({"logged_by": str(uuid.uuid4())}, "logged_by", id="unknown-logged_by"),
        pytest.param(
            {"responder_id": str(uuid.uuid4())}, "responder_id", id="unknown-responder_id"
        ),
        pytest.param({"perceptions": []}, "perceptions", id="unknown-perceptions"),
        pytest.param({"mood": "great"}, "mood", id="unknown-field"),
    ],
)
async def test_create_rejects_bad_input(client, couple, body, field):
    assert_problem(await post_bid(client, couple, **body), 422, field)
    assert await listed_ids(client, couple) == []


async def test_create_needs_a_kind(client, couple):
    response = await client.post(couple.bids, json={}, headers=couple.first.headers)
    assert_problem(response, 422, "kind")


@pytest.mark.parametrize(
    "ahead",
    [timedelta(minutes=6), timedelta(hours=3), timedelta(days=365)],
)
async def test_create_refuses_a_time_more_than_5_minutes_ahead(client, couple, ahead):
    moment = datetime.now(UTC) + ahead
    # Spelled in another offset, the same instant is just as far ahead.
    for spelled in (moment, moment.astimezone(timezone(timedelta(hours=-3)))):
        assert_problem(await post_bid(client, couple, occurred_at=iso(spelled)), 422, "occurred_at")
    assert await listed_ids(client, couple) == []


async def test_create_refuses_a_bidder_outside_the_couple(client, couple, stranger):
    for bidder in (stranger.id, str(uuid.uuid4())):
        assert_problem(await post_bid(client, couple, bidder_id=bidder), 422, "bidder_id")
    assert await listed_ids(client, couple) == []


async def test_create_needs_both_partners(client):
    half = await make_couple(client, joined=False)
    assert_problem(await post_bid(client, half), 409)
    assert await listed_ids(client, half) == []
