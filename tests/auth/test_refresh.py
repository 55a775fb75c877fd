"""`POST /auth/refresh`: rotation of the token pair, reuse of a spent token, expiry."""

import httpx
import pytest

from api.core.settings import Settings
from tests.auth.helpers import LOGOUT, REFRESH, assert_token_pair, login, me, refresh
from tests.factories import Person, register
from tests.http import assert_problem


async def test_refresh_rotates_the_pair(client, settings):
    person = await register(client)
    old = person.tokens["refresh_token"]

    pair = assert_token_pair(await refresh(client, old), settings)

    assert pair["refresh_token"] != old
    caller = await me(client, pair["access_token"])
    assert caller.status_code == 200 and caller.json()["id"] == person.id
    assert_problem(await refresh(client, old), 401)


async def test_refresh_chain_keeps_working(client, settings):
    person = await register(client)
    token = person.tokens["refresh_token"]
    for _ in range(3):
        token = assert_token_pair(await refresh(client, token), settings)["refresh_token"]


async def refreshed_twice(
    client: httpx.AsyncClient, person: Person, settings: Settings
) -> list[str]:
    """The refresh tokens of one login: the spent first and second, the live third."""
    tokens = [person.tokens["refresh_token"]]
    for _ in range(2):
        tokens.append(
            assert_token_pair(await refresh(client, tokens[-1]), settings)["refresh_token"]
        )
    return tokens


@pytest.mark.parametrize("reused", [0, 1], ids=["first", "previous"])
async def test_reusing_a_spent_refresh_token_revokes_its_login(client, settings, reused):
    person = await register(client)
    other_login = assert_token_pair(await login(client, person.user["email"]), settings)
    tokens = await refreshed_twice(client, person, settings)

    assert_problem(await refresh(client, tokens[reused]), 401)

    assert_problem(await refresh(client, tokens[-1]), 401)  # the newest of that login too
    assert_token_pair(await refresh(client, other_login["refresh_token"]), settings)


async def test_a_revoked_login_stays_revoked(client, settings):
    person = await register(client)
    tokens = await refreshed_twice(client, person, settings)
    assert_problem(await refresh(client, tokens[0]), 401)

    # Neither the newest token nor a new reuse brings it back.
    assert_problem(await refresh(client, tokens[-1]), 401)
    assert_problem(await refresh(client, tokens[1]), 401)
    assert_problem(await refresh(client, tokens[-1]), 401)
    # The account itself can still log in.
    assert_token_pair(await login(client, person.user["email"]), settings)


async def test_a_refresh_token_expires(client, settings, clock):
    person = await register(client)
    other_login = assert_token_pair(await login(client, person.user["email"]), settings)
    lifetime = settings.refresh_token_days * 24 * 3600

    clock.advance(lifetime - 60)
    assert_token_pair(await refresh(client, person.tokens["refresh_token"]), settings)

    clock.advance(120)
    assert_problem(await refresh(client, other_login["refresh_token"]), 401)
    assert_token_pair(await login(client, person.user["email"]), settings)


@pytest.mark.parametrize("token", ["garbage", "", "x" * 512], ids=["garbage", "empty", "long"])
async def test_refresh_with_an_unknown_token_is_401(client, token):
    body = assert_problem(await refresh(client, token), 401)
    assert "access_token" not in body


async def test_an_access_token_is_not_a_refresh_token(client):
    person = await register(client)
    assert_problem(await refresh(client, person.tokens["access_token"]), 401)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "refresh_token"),
        ({"refresh_token": "x", "user_id": "y"}, "user_id"),
        ({"refresh_token": "x" * 513}, "refresh_token"),
    ],
    ids=["missing", "unknown", "too long"],
)
@pytest.mark.parametrize("path", [REFRESH, LOGOUT])
async def test_refresh_and_logout_bodies_are_validated(client, body, field, path):
    assert_problem(await client.post(path, json=body), 422, field)
