"""`POST /auth/login`: the token pair it gives, and the credentials it refuses."""

import pytest

from tests.auth.helpers import LOGIN, assert_token_pair, login, me, new_email
from tests.factories import PASSWORD, register
from tests.http import assert_problem


async def test_login_returns_a_working_token_pair(client, settings):
    person = await register(client)

    pair = assert_token_pair(await login(client, person.user["email"]), settings)

    caller = await me(client, pair["access_token"])
    assert caller.status_code == 200, caller.text
    assert caller.json()["id"] == person.id


async def test_login_email_ignores_case_and_surrounding_space(client, settings):
    person = await register(client)
    assert_token_pair(await login(client, f" {person.user['email'].upper()} "), settings)


async def test_each_login_gets_new_tokens(client, settings):
    person = await register(client)
    again = assert_token_pair(await login(client, person.user["email"]), settings)
    assert again["refresh_token"] != person.tokens["refresh_token"]


async def test_bad_credentials_look_the_same_for_unknown_and_known_emails(client):
    person = await register(client)

    wrong_password = assert_problem(
        await login(client, person.user["email"], "wrong password!"), 401
    )
    unknown_email = assert_problem(await login(client, new_email()), 401)

    assert "access_token" not in wrong_password
    assert set(wrong_password) == set(unknown_email)
    for key in ("type", "title", "detail"):
        assert wrong_password[key] == unknown_email[key]


async def test_password_is_case_sensitive(client):
    person = await register(client)
    assert_problem(await login(client, person.user["email"], PASSWORD.upper()), 401)


@pytest.mark.parametrize("missing", ["email", "password"])
async def test_login_requires_field(client, missing):
    body = {"email": new_email(), "password": PASSWORD}
    del body[missing]
    assert_problem(await client.post(LOGIN, json=body), 422, missing)


async def test_login_rejects_unknown_fields(client):
    body = {"email": new_email(), "password": PASSWORD, "remember_me": True}
    assert_problem(await client.post(LOGIN, json=body), 422, "remember_me")


@pytest.mark.parametrize(
    ("field", "email", "password"),
    [
        ("email", "x" * 400 + "@example.org", PASSWORD),  # longer than any stored email
        ("password", "kim@example.org", "x" * 1025),  # longer than any password allowed
    ],
)
async def test_login_with_an_overlong_value_is_422(client, field, email, password):
    assert_problem(await login(client, email, password), 422, field)
