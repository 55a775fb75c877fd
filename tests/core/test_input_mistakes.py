"""Inputs a real client sends by mistake, and the answers it needs back."""

import httpx
import pytest

from tests.factories import Couple, register
from tests.http import assert_problem, varies_on


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("bids", {"kind": "humor", "note": "a\u0000b"}, "note"),
        ("couple", {"name": "Us\u0000"}, "name"),
        ("me", {"display_name": "A\u0000"}, "display_name"),
    ],
)
async def test_the_nul_character_is_refused_by_field(
    client: httpx.AsyncClient, couple: Couple, path: str, body: dict[str, object], field: str
) -> None:
    method, url = {
        "bids": ("POST", couple.bids),
        "couple": ("PATCH", couple.path),
        "me": ("PATCH", "/api/v1/me"),
    }[path]
    response = await client.request(method, url, json=body, headers=couple.first.headers)
    assert_problem(response, 422, field)


async def test_a_login_with_a_nul_character_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"email": "a\u0000@example.org", "password": "x" * 12}
    )
    assert_problem(response, 422, "email")


@pytest.mark.parametrize("moment", [1700000000, "1700000000", 1e12, "2026-01-01"])
async def test_times_are_rfc3339_text_only(
    client: httpx.AsyncClient, couple: Couple, moment: object
) -> None:
    response = await client.post(
        couple.bids, json={"kind": "humor", "occurred_at": moment}, headers=couple.first.headers
    )
    assert_problem(response, 422, "occurred_at")


async def test_a_since_filter_must_be_a_time(client: httpx.AsyncClient, couple: Couple) -> None:
    response = await client.get(couple.bids, params={"since": "0"}, headers=couple.first.headers)
    assert_problem(response, 422, "since")


@pytest.mark.parametrize("flag", ["yes", 1, "true", None])
async def test_flags_are_json_booleans(
    client: httpx.AsyncClient, couple: Couple, flag: object
) -> None:
    response = await client.post(
        couple.bids, json={"kind": "humor", "private": flag}, headers=couple.first.headers
    )
    assert_problem(response, 422, "private")


async def test_weights_are_json_integers(client: httpx.AsyncClient, couple: Couple) -> None:
    response = await client.patch(
        couple.path, json={"weights": {"toward": "4"}}, headers=couple.first.headers
    )
    assert_problem(response, 422, "weights.toward")


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules"])
async def test_server_dependent_zone_names_are_refused(
    client: httpx.AsyncClient, couple: Couple, zone: str
) -> None:
    response = await client.patch(
        couple.path, json={"timezone": zone}, headers=couple.first.headers
    )
    assert_problem(response, 422, "timezone")


async def test_a_bad_path_id_is_reported_once(client: httpx.AsyncClient, couple: Couple) -> None:
    body = assert_problem(
        await client.get("/api/v1/couples/abc", headers=couple.first.headers), 422
    )
    assert [error["field"] for error in body["errors"]] == ["couple_id"]


async def test_a_retried_join_says_the_caller_is_already_a_partner(
    client: httpx.AsyncClient,
) -> None:
    ana = await register(client, "Ana")
    created = await client.post("/api/v1/couples", json={}, headers=ana.headers)
    ben = await register(client, "Ben")
    join = {"code": created.json()["invite"]["code"]}
    assert (
        await client.post("/api/v1/couples/join", json=join, headers=ben.headers)
    ).status_code == 200
    retry = await client.post("/api/v1/couples/join", json=join, headers=ben.headers)
    assert_problem(retry, 409)
    assert retry.json()["type"] == "urn:toward:problem:already-partner"
    stranger = await register(client, "Cy")
    assert_problem(
        await client.post("/api/v1/couples/join", json=join, headers=stranger.headers), 404
    )


async def test_each_view_of_a_private_bid_has_its_own_etag(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    assert couple.second is not None
    created = await client.post(
        couple.bids,
        json={"kind": "support", "note": "rough day", "private": True},
        headers=couple.first.headers,
    )
    url = f"{couple.bids}/{created.json()['id']}"
    author = await client.get(url, headers=couple.first.headers)
    partner = await client.get(url, headers=couple.second.headers)
    assert author.json()["note"] == "rough day" and partner.json()["note"] is None
    assert author.headers["etag"] != partner.headers["etag"]
    for response in (created, author, partner):
        assert response.headers["cache-control"] == "private, no-cache"
        assert "authorization" in varies_on(response)
    # The author's tag does not validate the partner's view, and the partner's own does.
    stale = await client.get(
        url, headers={**couple.second.headers, "If-None-Match": author.headers["etag"]}
    )
    assert stale.status_code == 200 and stale.json()["note"] is None
    fresh = await client.get(
        url, headers={**couple.second.headers, "If-None-Match": partner.headers["etag"]}
    )
    assert fresh.status_code == 304
    # The partner may send their own tag with If-Match on their perception.
    perception = await client.put(
        f"{url}/perception",
        json={"response": "toward"},
        headers={**couple.second.headers, "If-Match": partner.headers["etag"]},
    )
    assert perception.status_code == 200


async def test_login_matches_an_email_typed_in_decomposed_unicode(
    client: httpx.AsyncClient,
) -> None:
    composed, decomposed = "caf\u00e9@example.org", "cafe\u0301@example.org"
    body = {"email": decomposed, "password": "a long password", "display_name": "Zoé"}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    for typed in (decomposed, composed):
        login = await client.post(
            "/api/v1/auth/login", json={"email": typed, "password": "a long password"}
        )
        assert login.status_code == 200, typed
