"""`GET /me`, and what an access token must be to be accepted."""

import uuid

import httpx
import jwt
import pytest

from tests.factories import register
from tests.http import assert_problem
from tests.users.helpers import ME, access_token, read_me


async def test_me_is_the_caller(client):
    person = await register(client, "Ana", timezone="Europe/Paris")
    await register(client, "Ben")  # someone else, whom /me must not answer with

    assert await read_me(client, person) == person.user
    assert person.user["display_name"] == "Ana"
    assert person.user["timezone"] == "Europe/Paris"
    assert "password_hash" not in person.user and "password" not in person.user


async def test_me_of_a_therapist(client):
    therapist = await register(client, "Lee", account_type="therapist")
    assert (await read_me(client, therapist))["account_type"] == "therapist"


def assert_unauthenticated(response: httpx.Response) -> None:
    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "id" not in body


@pytest.mark.parametrize("method", ["GET", "PATCH"])
async def test_me_without_a_token_is_401(client, method):
    assert_unauthenticated(await client.request(method, ME, json={}))


@pytest.mark.parametrize("method", ["GET", "PATCH"])
async def test_me_with_another_scheme_is_401(client, method):
    person = await register(client)
    headers = {"Authorization": f"Basic {person.tokens['access_token']}"}
    assert_unauthenticated(await client.request(method, ME, json={}, headers=headers))


BAD_TOKENS = {
    "expired": lambda settings, sub: access_token(settings, sub, minutes=-1),
    "other key": lambda settings, sub: access_token(settings, sub, key="another-key-" * 4),
    "refresh typ": lambda settings, sub: access_token(settings, sub, typ="refresh"),
    "no typ": lambda settings, sub: access_token(settings, sub, typ=None),
    "no exp": lambda settings, sub: jwt.encode(
        {"sub": sub, "typ": "access", "role": "partner"}, settings.secret_key, algorithm="HS256"
    ),
    "unsigned": lambda settings, sub: jwt.encode(
        {"sub": sub, "typ": "access", "role": "partner"}, key=None, algorithm="none"
    ),
    "sub not a uuid": lambda settings, sub: access_token(settings, "someone"),
    "garbage": lambda settings, sub: "not.a.jwt",
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
@pytest.mark.parametrize("method", ["GET", "PATCH"])
async def test_me_with_a_bad_token_is_401(client, settings, kind, method):
    person = await register(client)
    token = BAD_TOKENS[kind](settings, person.id)

    response = await client.request(
        method, ME, json={"display_name": "Hacked"}, headers=bearer(token)
    )

    assert_unauthenticated(response)
    assert (await read_me(client, person))["display_name"] == person.user["display_name"]


async def test_crafted_token_helper_makes_accepted_tokens(client, settings):
    # Guards the bad-token cases above: only their one change makes them fail.
    person = await register(client)
    response = await client.get(ME, headers=bearer(access_token(settings, person.id)))
    assert response.status_code == 200 and response.json()["id"] == person.id


async def test_a_refresh_token_is_not_an_access_token(client):
    person = await register(client)
    assert_unauthenticated(await client.get(ME, headers=bearer(person.tokens["refresh_token"])))


@pytest.mark.parametrize("method", ["GET", "PATCH"])
async def test_token_of_an_account_that_does_not_exist_is_401(client, settings, method):
    token = access_token(settings, str(uuid.uuid4()))
    assert_unauthenticated(await client.request(method, ME, json={}, headers=bearer(token)))
