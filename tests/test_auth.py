"""`/auth`: registration, login and its rate limits, refresh-token rotation, logout."""

import uuid
from typing import Any

import httpx
import pytest

from api.core.settings import Settings
from tests.conftest import PASSWORD, Person, assert_problem, client_from, register

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"

USER_FIELDS = {
    "id",
    "email",
    "display_name",
    "timezone",
    "account_type",
    "love_languages",
    "attachment_style",
}


def new_email() -> str:
    return f"kim-{uuid.uuid4().hex[:8]}@example.org"


def registration(**overrides: Any) -> dict[str, Any]:
    return {"email": new_email(), "password": PASSWORD, "display_name": "Kim", **overrides}


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post(LOGIN, json={"email": email, "password": password})


async def fail_logins(client: httpx.AsyncClient, email: str, times: int) -> None:
    for _ in range(times):
        assert_problem(await login(client, email, "wrong password!"), 401)


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": refresh_token})


async def me(client: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await client.get(ME, headers={"Authorization": f"Bearer {access_token}"})


def assert_token_pair(response: httpx.Response, settings: Settings) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    pair = response.json()
    fields = {"access_token", "refresh_token", "token_type", "expires_in"}
    if response.request.url.path == LOGIN:
        fields.add("device_token")
    assert set(pair) == fields
    assert pair["token_type"] == "bearer"
    assert 0 < pair["expires_in"] <= 15 * 60
    assert pair["expires_in"] == settings.access_token_minutes * 60
    assert pair["access_token"] and pair["refresh_token"]
    assert pair["access_token"] != pair["refresh_token"]
    return pair


def assert_rate_limited(response: httpx.Response, settings: Settings) -> None:
    assert_problem(response, 429)
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= settings.login_window_seconds
    assert "access_token" not in response.json()


# --- register ---------------------------------------------------------------------


async def test_register_returns_the_user_with_defaults(client):
    body = registration()
    response = await client.post(REGISTER, json=body)

    assert response.status_code == 201, response.text
    user = response.json()
    assert set(user) == USER_FIELDS  # no password, no hash
    uuid.UUID(user["id"])
    assert user["email"] == body["email"]
    assert user["display_name"] == "Kim"
    assert user["timezone"] == "UTC"
    assert user["account_type"] == "partner"
    assert user["love_languages"] == {"give": [], "receive": []}
    assert user["attachment_style"] is None
    assert PASSWORD not in response.text


async def test_register_a_therapist_in_a_time_zone(client):
    body = registration(timezone="America/New_York", account_type="therapist")
    response = await client.post(REGISTER, json=body)

    assert response.status_code == 201, response.text
    assert response.json()["timezone"] == "America/New_York"
    assert response.json()["account_type"] == "therapist"
    # Stored as given: the account logs in as a therapist.
    pair = (await login(client, body["email"])).json()
    assert (await me(client, pair["access_token"])).json()["account_type"] == "therapist"


async def test_register_gives_each_account_its_own_id(client):
    first = await register(client, "Ana")
    second = await register(client, "Ben")
    assert first.id != second.id


@pytest.mark.parametrize("spelling", [str, str.upper, str.title], ids=["same", "upper", "title"])
async def test_register_taken_email_is_409_without_touching_the_account(client, spelling):
    existing = await register(client)
    email = existing.user["email"]

    response = await client.post(
        REGISTER, json=registration(email=spelling(email), password="another password")
    )

    body = assert_problem(response, 409)
    assert "access_token" not in body and "id" not in body
    assert (await login(client, email)).status_code == 200
    assert_problem(await login(client, email, "another password"), 401)


async def test_register_email_is_case_insensitive_for_login(client, settings):
    email = new_email()
    assert (await client.post(REGISTER, json=registration(email=email.upper()))).status_code == 201
    assert_token_pair(await login(client, email), settings)


async def test_register_password_needs_ten_characters(client):
    too_short = await client.post(REGISTER, json=registration(password="x" * 9))
    assert_problem(too_short, 422, "password")

    just_enough = await client.post(REGISTER, json=registration(password="x" * 10))
    assert just_enough.status_code == 201, just_enough.text


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("email", {"email": "not-an-email"}),
        ("email", {"email": "two@@example.org"}),
        ("timezone", {"timezone": "Mars/Olympus_Mons"}),
        ("timezone", {"timezone": "+02:00"}),
        ("account_type", {"account_type": "admin"}),
        ("display_name", {"display_name": "   "}),
        ("display_name", {"display_name": "x" * 101}),
        ("is_admin", {"is_admin": True}),
        ("id", {"id": str(uuid.uuid4())}),
        ("password_hash", {"password_hash": "$argon2id$v=19$..."}),
        ("love_languages", {"love_languages": {"give": ["words"], "receive": []}}),
    ],
)
async def test_register_rejects_a_bad_field_and_creates_nothing(client, field, overrides):
    body = registration(**overrides)

    assert_problem(await client.post(REGISTER, json=body), 422, field)

    if field != "email":
        retry = registration(email=body["email"])
        assert (await client.post(REGISTER, json=retry)).status_code == 201


@pytest.mark.parametrize("missing", ["email", "password", "display_name"])
async def test_register_requires_field(client, missing):
    body = registration()
    del body[missing]
    assert_problem(await client.post(REGISTER, json=body), 422, missing)


# --- login ------------------------------------------------------------------------


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


# --- login rate limits ------------------------------------------------------------


async def test_account_is_limited_after_failed_logins(client, settings):
    person = await register(client)
    email = person.user["email"]

    await fail_logins(client, email, settings.login_failures_per_email)

    assert_rate_limited(await login(client, email), settings)  # even the right password
    assert_rate_limited(await login(client, email, "wrong password!"), settings)


async def test_account_limit_ignores_the_email_spelling(client, settings):
    person = await register(client)
    email = person.user["email"]

    await fail_logins(client, email.upper(), settings.login_failures_per_email)

    assert_rate_limited(await login(client, email), settings)


async def test_unknown_email_is_limited_like_a_known_one(client, settings):
    email = new_email()
    await fail_logins(client, email, settings.login_failures_per_email)
    assert_rate_limited(await login(client, email), settings)


async def test_fewer_failures_than_the_limit_do_not_block(client, settings):
    person = await register(client)
    await fail_logins(client, person.user["email"], settings.login_failures_per_email - 1)
    assert_token_pair(await login(client, person.user["email"]), settings)


async def test_account_limit_does_not_block_other_accounts(client, settings):
    locked = await register(client, "Ana")
    other = await register(client, "Ben")

    await fail_logins(client, locked.user["email"], settings.login_failures_per_email)

    assert_rate_limited(await login(client, locked.user["email"]), settings)
    assert_token_pair(await login(client, other.user["email"]), settings)


async def test_a_successful_login_resets_the_account_count(client, settings):
    person = await register(client)
    email = person.user["email"]
    almost = settings.login_failures_per_email - 1

    await fail_logins(client, email, almost)
    assert_token_pair(await login(client, email), settings)
    await fail_logins(client, email, almost)

    assert_token_pair(await login(client, email), settings)


async def test_retry_after_is_when_the_account_may_log_in_again(client, settings, clock):
    person = await register(client)
    email = person.user["email"]
    await fail_logins(client, email, settings.login_failures_per_email)

    limited = await login(client, email)
    assert_rate_limited(limited, settings)
    wait = int(limited.headers["Retry-After"])
    assert wait == settings.login_window_seconds  # every failure happened just now

    clock.advance(wait - 1)
    still_limited = await login(client, email)
    assert_rate_limited(still_limited, settings)
    assert still_limited.headers["Retry-After"] == "1"

    clock.advance(1)
    assert_token_pair(await login(client, email), settings)


async def test_client_address_is_limited_across_emails(client, app, settings):
    person = await register(client)
    assert settings.login_failures_per_client > settings.login_failures_per_email

    for _ in range(settings.login_failures_per_client):
        await fail_logins(client, new_email(), 1)

    # A fresh email from the same address, and a real account with its right password.
    assert_rate_limited(await login(client, new_email(), "wrong password!"), settings)
    assert_rate_limited(await login(client, person.user["email"]), settings)
    # The limit belongs to that address, not to everyone.
    async with client_from(app, "203.0.113.7") as elsewhere:
        assert_token_pair(await login(elsewhere, person.user["email"]), settings)


async def test_client_address_under_its_limit_is_not_blocked(client, settings):
    person = await register(client)
    for _ in range(settings.login_failures_per_client - 1):
        await fail_logins(client, new_email(), 1)
    assert_token_pair(await login(client, person.user["email"]), settings)


# --- refresh ----------------------------------------------------------------------


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


# --- logout -----------------------------------------------------------------------


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
