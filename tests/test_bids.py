"""`/couples/{couple_id}/bids`: log, list, read, change, delete, perceptions."""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from models.bid import Bid
from models.vocabulary import STYLES_BY_RESPONSE
from tests.conftest import Couple, Person, assert_problem, make_couple, register

BID_FIELDS = {
    "id",
    "couple_id",
    "bidder_id",
    "responder_id",
    "logged_by",
    "occurred_at",
    "kind",
    "channel",
    "note",
    "private",
    "repair",
    "perceptions",
    "response",
    "agreement",
    "created_at",
    "updated_at",
}
T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
BIDS: sa.Table = Bid.__table__  # type: ignore[attr-defined]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


def from_now(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


async def post_bid(
    client: httpx.AsyncClient, couple: Couple, person: Person | None = None, **body: Any
) -> httpx.Response:
    body.setdefault("kind", "attention")
    return await client.post(couple.bids, json=body, headers=(person or couple.first).headers)


async def log_bid(
    client: httpx.AsyncClient, couple: Couple, person: Person | None = None, **body: Any
) -> dict[str, Any]:
    response = await post_bid(client, couple, person, **body)
    assert response.status_code == 201, response.text
    return response.json()


async def get_bid(
    client: httpx.AsyncClient, couple: Couple, bid_id: str, person: Person | None = None
) -> httpx.Response:
    return await client.get(f"{couple.bids}/{bid_id}", headers=(person or couple.first).headers)


async def patch_bid(
    client: httpx.AsyncClient,
    couple: Couple,
    bid_id: str,
    body: dict[str, Any],
    person: Person | None = None,
    **headers: str,
) -> httpx.Response:
    return await client.patch(
        f"{couple.bids}/{bid_id}",
        json=body,
        headers={**(person or couple.first).headers, **headers},
    )


async def perceive(
    client: httpx.AsyncClient,
    couple: Couple,
    bid_id: str,
    person: Person,
    response: str | None,
    style: str | None = None,
    **headers: str,
) -> httpx.Response:
    body: dict[str, Any] = {"response": response}
    if style is not None:
        body["style"] = style
    return await client.put(
        f"{couple.bids}/{bid_id}/perception", json=body, headers={**person.headers, **headers}
    )


async def list_page(
    client: httpx.AsyncClient, couple: Couple, person: Person | None = None, **params: Any
) -> dict[str, Any]:
    response = await client.get(
        couple.bids, params=params, headers=(person or couple.first).headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def listed_ids(
    client: httpx.AsyncClient, couple: Couple, person: Person | None = None, **params: Any
) -> list[str]:
    params.setdefault("limit", 200)
    page = await list_page(client, couple, person, **params)
    assert page["next_cursor"] is None
    return [item["id"] for item in page["items"]]


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


async def first_couple_id(client: httpx.AsyncClient, person: Person) -> str:
    return (await client.get("/api/v1/couples", headers=person.headers)).json()["items"][0]["id"]


def own_view(bid: dict[str, Any], person: Person) -> dict[str, Any] | None:
    views = [p for p in bid["perceptions"] if p["partner_id"] == person.id]
    assert len(views) <= 1
    return views[0] if views else None


# --- create ---------------------------------------------------------------------------------


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


# --- idempotent create ------------------------------------------------------------------------


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


# --- list -----------------------------------------------------------------------------------


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


# --- read -----------------------------------------------------------------------------------


async def test_read_gives_an_etag_that_answers_304(client, couple):
    bid = await log_bid(client, couple)
    read = await get_bid(client, couple, bid["id"])
    etag = read.headers["ETag"]
    assert read.json() == bid

    for person in (couple.first, couple.second):
        cached = await client.get(
            f"{couple.bids}/{bid['id']}", headers={**person.headers, "If-None-Match": etag}
        )
        assert cached.status_code == 304
        assert cached.content == b""

    stale = await client.get(
        f"{couple.bids}/{bid['id']}", headers={**couple.first.headers, "If-None-Match": '"stale"'}
    )
    assert stale.status_code == 200
    assert stale.json() == bid


async def test_a_changed_bid_no_longer_answers_304(client, couple):
    bid = await log_bid(client, couple)
    etag = (await get_bid(client, couple, bid["id"])).headers["ETag"]
    assert (await perceive(client, couple, bid["id"], couple.second, "toward")).status_code == 200

    fresh = await client.get(
        f"{couple.bids}/{bid['id']}", headers={**couple.first.headers, "If-None-Match": etag}
    )

    assert fresh.status_code == 200
    assert fresh.headers["ETag"] != etag
    assert fresh.json()["response"] == "toward"


async def test_read_a_deleted_or_unknown_bid_is_404(client, couple):
    bid = await log_bid(client, couple)
    await client.delete(f"{couple.bids}/{bid['id']}", headers=couple.first.headers)
    for person in (couple.first, couple.second):
        assert_problem(await get_bid(client, couple, bid["id"], person), 404)
    assert_problem(await get_bid(client, couple, str(uuid.uuid4())), 404)


async def test_read_with_a_malformed_id_is_422(client, couple):
    assert_problem(await get_bid(client, couple, "not-a-uuid"), 422, "bid_id")


# --- patch ----------------------------------------------------------------------------------


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


# --- delete ---------------------------------------------------------------------------------


async def test_the_logger_deletes_a_bid(client, couple):
    bid = await log_bid(client, couple)
    response = await client.delete(f"{couple.bids}/{bid['id']}", headers=couple.first.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await get_bid(client, couple, bid["id"]), 404)
    assert_problem(
        await client.delete(f"{couple.bids}/{bid['id']}", headers=couple.first.headers), 404
    )


async def test_delete_by_the_other_partner_is_403(client, couple):
    bid = await log_bid(client, couple, couple.first, note="keep")
    assert_problem(
        await client.delete(f"{couple.bids}/{bid['id']}", headers=couple.second.headers), 403
    )
    assert (await get_bid(client, couple, bid["id"])).json() == bid


async def test_delete_with_a_stale_if_match_is_412(client, couple):
    bid = await log_bid(client, couple)
    etag = (await get_bid(client, couple, bid["id"])).headers["ETag"]
    await perceive(client, couple, bid["id"], couple.second, "away")
    path = f"{couple.bids}/{bid['id']}"
    assert_problem(
        await client.delete(path, headers={**couple.first.headers, "If-Match": etag}), 412
    )
    assert (await get_bid(client, couple, bid["id"])).status_code == 200
    current = (await get_bid(client, couple, bid["id"])).headers["ETag"]
    assert (
        await client.delete(path, headers={**couple.first.headers, "If-Match": current})
    ).status_code == 204


# --- perceptions ----------------------------------------------------------------------------


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


# --- private notes --------------------------------------------------------------------------


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


# --- who may call ---------------------------------------------------------------------------

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
