"""Failed logins are limited per account and per client address, and a client is told
when to come back."""

import httpx

from api.core.settings import Settings
from tests.auth.helpers import assert_token_pair, login, new_email
from tests.factories import register
from tests.http import assert_problem, client_from


async def fail_logins(client: httpx.AsyncClient, email: str, times: int) -> None:
    for _ in range(times):
        assert_problem(await login(client, email, "wrong password!"), 401)


def assert_rate_limited(response: httpx.Response, settings: Settings) -> None:
    assert_problem(response, 429)
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= settings.login_window_seconds
    assert "access_token" not in response.json()


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
