"""A stranger who knows an account's email can keep its logins at 429; a client that
logged in to the account before shows its device token and is counted on its own,
without getting more guesses than anyone else."""

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from tests.factories import PASSWORD, new_address, register
from tests.http import assert_problem, client_from

LOGIN = "/api/v1/auth/login"


async def _login(client, email, password=PASSWORD, device_token=None):
    body = {"email": email, "password": password}
    if device_token is not None:
        body["device_token"] = device_token
    return await client.post(LOGIN, json=body)


async def _locked_out_by_a_stranger(app, settings, email):
    async with client_from(app, new_address()) as stranger:
        for _ in range(settings.login_failures_per_email):
            assert_problem(await _login(stranger, email, "a wrong guess"), 401)
        assert_problem(await _login(stranger, email), 429)


async def test_a_known_device_logs_in_while_strangers_are_locked_out(app, client, settings):
    person = await register(client)
    email = person.user["email"]
    device_token = (await _login(client, email)).json()["device_token"]

    await _locked_out_by_a_stranger(app, settings, email)

    assert_problem(await _login(client, email), 429)  # without its token, like anyone
    again = await _login(client, email, device_token=device_token)
    assert again.status_code == 200, again.text
    # The device keeps its identity: the token it gets back names the same device.
    claims = jwt.decode(again.json()["device_token"], options={"verify_signature": False})
    assert claims["jti"] == jwt.decode(device_token, options={"verify_signature": False})["jti"]
    # The strangers' count stands: the device's success cleared only its own.
    async with client_from(app, new_address()) as stranger:
        assert_problem(await _login(stranger, email), 429)


async def test_a_known_device_gets_no_more_guesses_than_anyone(app, client, settings):
    person = await register(client)
    email = person.user["email"]
    device_token = (await _login(client, email)).json()["device_token"]
    for _ in range(settings.login_failures_per_email):
        response = await _login(client, email, "a wrong guess", device_token=device_token)
        assert_problem(response, 401)
    assert_problem(await _login(client, email, device_token=device_token), 429)
    # Its failures are its own: a client without the token is not locked out by them.
    async with client_from(app, new_address()) as other:
        assert (await _login(other, email)).status_code == 200


@pytest.mark.parametrize("kind", ["another account's", "forged", "expired", "access token"])
async def test_a_device_token_that_is_not_the_accounts_counts_as_none(app, client, settings, kind):
    person = await register(client, "Ana")
    other = await register(client, "Ben")
    email = person.user["email"]
    now = datetime.now(UTC)
    claims = {"sub": person.id, "typ": "device", "jti": str(uuid.uuid4())}
    token = {
        "another account's": (await _login(client, other.user["email"])).json()["device_token"],
        "forged": jwt.encode({**claims, "exp": now + timedelta(days=1)}, "x" * 40),
        "expired": jwt.encode({**claims, "exp": now - timedelta(seconds=1)}, settings.secret_key),
        "access token": person.tokens["access_token"],
    }[kind]

    await _locked_out_by_a_stranger(app, settings, email)

    assert_problem(await _login(client, email, device_token=token), 429)


async def test_an_overlong_device_token_is_422(client):
    response = await _login(client, "kim@example.org", device_token="x" * 2049)
    assert_problem(response, 422, "device_token")
