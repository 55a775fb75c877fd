"""Verifying an address: the code mailed at registration (through the test's SMTP
server), sent back once; and a new code on request."""

import asyncio

import sqlalchemy as sa

from tests.auth.helpers import ME, new_email
from tests.factories import PASSWORD, new_address, register
from tests.http import assert_problem, client_from
from tests.mail import MAILBOX, code_in

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/verify-email"
RESEND = "/api/v1/auth/verify-email/resend"


async def _registered(client, email: str | None = None):
    email = email or new_email()
    created = await client.post(
        REGISTER, json={"email": email, "password": PASSWORD, "display_name": "Kim"}
    )
    assert created.status_code == 201, created.text
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    return email, headers


async def test_registration_mails_a_code_that_verifies_the_address(client):
    email, headers = await _registered(client)
    assert (await client.get(ME, headers=headers)).json()["email_verified"] is False

    message = await MAILBOX.wait_for(email)
    assert message["Subject"] == "Confirm your email address for Toward"
    # The registration's words are not carried to an address not yet proven.
    assert "Kim" not in message.get_content()
    verified = await client.post(VERIFY, json={"code": code_in(message)})

    assert verified.status_code == 200, verified.text
    assert verified.json() == {"email": email, "email_verified": True}
    assert (await client.get(ME, headers=headers)).json()["email_verified"] is True


async def test_a_code_is_taken_in_any_case_with_or_without_dashes(client):
    email, headers = await _registered(client)
    code = code_in(await MAILBOX.wait_for(email))
    typed = f"  {code.replace('-', ' ').lower()} "
    assert (await client.post(VERIFY, json={"code": typed})).status_code == 200
    assert (await client.get(ME, headers=headers)).json()["email_verified"] is True


async def test_a_code_works_once(client):
    email, _ = await _registered(client)
    code = code_in(await MAILBOX.wait_for(email))
    assert (await client.post(VERIFY, json={"code": code})).status_code == 200
    assert_problem(await client.post(VERIFY, json={"code": code}), 422, "code")


async def test_an_expired_code_does_not_work(client, conn):
    email, headers = await _registered(client)
    code = code_in(await MAILBOX.wait_for(email))
    await conn.execute(sa.text("UPDATE email_codes SET expires_at = created_at"))

    assert_problem(await client.post(VERIFY, json={"code": code}), 422, "code")
    assert (await client.get(ME, headers=headers)).json()["email_verified"] is False


async def test_a_reset_code_does_not_verify(client, conn):
    email, headers = await _registered(client)
    await MAILBOX.wait_for(email)
    verified = sa.text("UPDATE users SET email_verified_at = created_at WHERE email = :email")
    await conn.execute(verified, {"email": email})
    asked = await client.post("/api/v1/auth/password-reset", json={"email": email})
    assert asked.status_code == 202
    unverified = sa.text("UPDATE users SET email_verified_at = NULL WHERE email = :email")
    await conn.execute(unverified, {"email": email})
    reset_code = code_in(await MAILBOX.wait_for(email, count=2))

    assert_problem(await client.post(VERIFY, json={"code": reset_code}), 422, "code")
    assert (await client.get(ME, headers=headers)).json()["email_verified"] is False


async def test_bad_bodies_are_named(client):
    assert_problem(await client.post(VERIFY, json={}), 422, "code")
    assert_problem(await client.post(VERIFY, json={"code": ""}), 422, "code")
    assert_problem(await client.post(VERIFY, json={"code": "A" * 65}), 422, "code")
    assert_problem(await client.post(VERIFY, json={"code": 12345}), 422, "code")
    assert_problem(await client.post(VERIFY, json={"code": "ABCDE", "email": "x@y.z"}), 422)
    assert_problem(await client.post(VERIFY, json={"code": "ABCDE-FGHJK-LMNPQ-RSTUV"}), 422, "code")


async def test_wrong_codes_are_limited_per_client_address(app, configure, client):
    configure(code_requests_per_client=2, code_window_seconds=600)
    email, _ = await _registered(client)
    code = code_in(await MAILBOX.wait_for(email))
    async with client_from(app, new_address()) as guesser:
        for _ in range(2):
            assert_problem(await guesser.post(VERIFY, json={"code": "WRONG"}), 422, "code")
        limited = await guesser.post(VERIFY, json={"code": "ALSO-WRONG"})
        body = assert_problem(limited, 429)
        assert body["type"] == "urn:toward:problem:too-many-codes"
        assert 0 < int(limited.headers["Retry-After"]) <= 600
        # A code that works still works behind the same address: guesses from a shared
        # network do not lock its owner out.
        assert (await guesser.post(VERIFY, json={"code": code})).status_code == 200


async def test_resend_mails_a_new_code_and_either_works_once(client):
    email, headers = await _registered(client)
    first = code_in(await MAILBOX.wait_for(email))

    resent = await client.post(RESEND, headers=headers)
    assert resent.status_code == 202, resent.text
    second = code_in(await MAILBOX.wait_for(email, count=2))
    assert second != first

    assert (await client.post(VERIFY, json={"code": second})).status_code == 200
    # Using one code ends the others.
    assert_problem(await client.post(VERIFY, json={"code": first}), 422, "code")


async def test_resend_is_limited_per_account(client, configure):
    configure(codes_per_hour=2)
    email, headers = await _registered(client)  # the first code
    assert (await client.post(RESEND, headers=headers)).status_code == 202
    limited = await client.post(RESEND, headers=headers)
    body = assert_problem(limited, 429)
    assert body["type"] == "urn:toward:problem:too-many-codes"
    assert 0 < int(limited.headers["Retry-After"]) <= 3600
    await MAILBOX.wait_for(email, count=2)
    await asyncio.sleep(0.2)
    assert len(MAILBOX.to(email)) == 2


async def test_resend_of_a_verified_address_is_a_409(client):
    person = await register(client, verified=True)
    body = assert_problem(await client.post(RESEND, headers=person.headers), 409)
    assert body["type"] == "urn:toward:problem:email-verified"


async def test_resend_needs_a_login(client):
    assert_problem(await client.post(RESEND), 401)
    bad = {"Authorization": "Bearer nonsense"}
    assert_problem(await client.post(RESEND, headers=bad), 401)
