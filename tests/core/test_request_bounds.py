"""Every input is bounded: bodies, bearer tokens, emails once normalised; and what a
bounded cache remembers."""

import json

import httpx
import pytest

from api.core import security
from tests.factories import PASSWORD, Couple, register
from tests.http import assert_problem

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


def _too_large(response: httpx.Response, limit: int) -> None:
    body = assert_problem(response, 413)
    assert body["type"] == "urn:toward:problem:body-too-large"
    assert str(limit) in body["detail"]


@pytest.mark.parametrize("path", [REFRESH, "/api/v1/auth/logout", LOGIN])
async def test_an_unauthenticated_body_over_the_limit_is_413(client, configure, path):
    limit = configure(max_body_bytes=2048).max_body_bytes
    padded = json.dumps({"refresh_token": "x" * 4000})
    _too_large(
        await client.post(path, content=padded, headers={"content-type": "application/json"}),
        limit,
    )


class Chunks:
    """A body sent a kibibyte at a time, counting what the app asked for."""

    def __init__(self, count: int = 100) -> None:
        self.count = count
        self.sent = 0

    async def __aiter__(self):
        for _ in range(self.count):
            self.sent += 1
            yield b"x" * 1024


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    client, configure
):
    limit = configure(max_body_bytes=2048).max_body_bytes
    body = Chunks()
    response = await client.post(
        REFRESH,
        content=body,
        headers={"content-type": "application/json", "content-length": str(100 * 1024)},
    )
    _too_large(response, limit)
    assert body.sent <= 1  # what the transport sends before the app answers


async def test_a_body_without_a_length_stops_at_the_limit(client, configure):
    limit = configure(max_body_bytes=2048).max_body_bytes
    body = Chunks()
    response = await client.post(
        REFRESH, content=body, headers={"content-type": "application/json"}
    )
    _too_large(response, limit)
    assert body.sent <= 4


async def test_a_body_at_the_limit_is_read(client, configure):
    configure(max_body_bytes=2048)
    body = json.dumps({"refresh_token": "unknown"}).ljust(2048)
    response = await client.post(
        REFRESH, content=body, headers={"content-type": "application/json"}
    )
    assert_problem(response, 401)


async def test_an_authenticated_write_over_the_limit_is_413(client, couple: Couple, configure):
    limit = configure(max_body_bytes=4096).max_body_bytes
    response = await client.post(
        couple.bids,
        content=json.dumps({"kind": "humor", "note": "x" * 1000}).ljust(limit + 1),
        headers={**couple.first.headers, "content-type": "application/json"},
    )
    _too_large(response, limit)


async def test_a_route_without_a_body_ignores_one(client, couple: Couple, configure):
    configure(max_body_bytes=2048)
    response = await client.request(
        "GET", couple.bids, content=b"x" * 10_000, headers=couple.first.headers
    )
    assert response.status_code == 200


def test_every_operation_with_a_body_documents_413(app):
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            documented = "413" in operation["responses"]
            assert documented == ("requestBody" in operation), (method, path)


async def test_an_overlong_bearer_token_is_401_without_being_decoded(client, monkeypatch):
    decoded = []
    monkeypatch.setattr("jwt.decode", lambda *a, **k: decoded.append(a))
    response = await client.get(
        "/api/v1/me", headers={"Authorization": "Bearer " + "x" * (security.MAX_TOKEN_LENGTH + 1)}
    )
    assert_problem(response, 401)
    assert decoded == []


async def test_only_valid_tokens_are_remembered(client):
    person = await register(client)
    security._verified_access_token.cache_clear()
    for number in range(50):
        bogus = {"Authorization": f"Bearer not-a-token-{number}"}
        assert_problem(await client.get("/api/v1/me", headers=bogus), 401)
    assert security._verified_access_token.cache_info().currsize == 0
    assert (await client.get("/api/v1/me", headers=person.headers)).status_code == 200
    assert security._verified_access_token.cache_info().currsize == 1


# İ (one character) lowers to i̇ (two): the normalised address is what must fit.
LENGTHENING = "\u0130" * 320


async def test_an_email_that_lowers_past_its_column_is_422_at_login(client):
    response = await client.post(LOGIN, json={"email": LENGTHENING, "password": PASSWORD})
    assert_problem(response, 422, "email")


async def test_an_email_at_its_bound_once_lowered_fails_like_any_other(client):
    response = await client.post(
        LOGIN, json={"email": "\u0130" * 160, "password": "wrong password"}
    )
    assert_problem(response, 401)


@pytest.mark.parametrize("header", ["If-Match", "If-None-Match"])
async def test_an_overlong_etag_list_is_422(client, couple: Couple, header):
    created = await client.post(couple.bids, json={"kind": "humor"}, headers=couple.first.headers)
    url = f"{couple.bids}/{created.json()['id']}"
    tags = ", ".join(f'"{number}"' for number in range(400))
    headers = {**couple.first.headers, header: tags}
    if header == "If-Match":
        response = await client.patch(url, json={"note": "x"}, headers=headers)
    else:
        response = await client.get(url, headers=headers)
    assert_problem(response, 422, header.lower())
