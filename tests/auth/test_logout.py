"""`POST /auth/logout`: the login it ends, and the tokens it accepts."""

import httpx

from tests.auth.helpers import LOGOUT, assert_token_pair, login, refresh
from tests.factories import register
from tests.http import assert_problem


async def logout(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    response = await client.post(LOGOUT, json={"refresh_token": refresh_token})
    assert response.status_code == 204, response.text
    assert response.content == b""
    return response


async def test_logout_ends_that_login_only(client, settings):
    person = await register(client)
    other_login = assert_token_pair(await login(client, person.user["email"]), settings)

    await logout(client, person.tokens["refresh_token"])  # no Authorization header

    assert_problem(await refresh(client, person.tokens["refresh_token"]), 401)
    assert_token_pair(await refresh(client, other_login["refresh_token"]), settings)


async def test_logout_after_rotation_ends_the_newest_token(client, settings):
    person = await register(client)
    newest = assert_token_pair(await refresh(client, person.tokens["refresh_token"]), settings)

    await logout(client, newest["refresh_token"])

    assert_problem(await refresh(client, newest["refresh_token"]), 401)


async def test_logout_with_an_unknown_or_spent_token_is_204(client, settings):
    await logout(client, "not-a-token")
    await logout(client, "")

    person = await register(client)
    await logout(client, person.tokens["refresh_token"])
    await logout(client, person.tokens["refresh_token"])  # twice is fine


async def test_logout_body_is_validated(client):
    assert_problem(await client.post(LOGOUT, json={}), 422, "refresh_token")
