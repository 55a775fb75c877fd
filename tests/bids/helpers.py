"""Calls to the bid endpoints, and what a bid answer holds, shared by the bid tests."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.factories import Couple, Person

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


async def first_couple_id(client: httpx.AsyncClient, person: Person) -> str:
    return (await client.get("/api/v1/couples", headers=person.headers)).json()["items"][0]["id"]
