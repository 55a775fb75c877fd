"""Password reset by email: asked for with an address (the same 202 whatever it is),
confirmed with the mailed code and a new password, which ends every login."""

import asyncio

import sqlalchemy as sa

from tests.auth.helpers import LOGIN, new_email, refresh
from tests.factories import PASSWORD, new_address, register
from tests.http import assert_problem, client_from
from tests.mail import MAILBOX, code_in

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW_PASSWORD = "a new and longer one"


async def _reset_code(client, email: str, count: int) -> str:
    asked = await client.post(RESET, json={"email": email})
    assert asked.status_code == 202, asked.text
    message = await MAILBOX.wait_for(email, count=count)
    assert message["Subject"] == "Reset your Toward password"
    return code_in(message)


async def _codes_of(conn, email: str) -> int:
    found = await conn.execute(
        sa.text(
            "SELECT count(*) FROM email_codes JOIN users ON users.id = email_codes.user_id"
            " WHERE users.email = :email AND purpose = 'reset'"
        ),
        {"email": email},
    )
    return int(found.scalar_one())


async def test_a_reset_sets_the_password_and_ends_every_login(client):
    person = await register(client, verified=True)
    email = person.user["email"]
    code = await _reset_code(client, email, count=2)  # after the verification's

    confirmed = await client.post(CONFIRM, json={"code": code, "password": NEW_PASSWORD})
    assert confirmed.status_code == 204, confirmed.text

    assert_problem(await client.post(LOGIN, json={"email": email, "password": PASSWORD}), 401)
    assert (
        await client.post(LOGIN, json={"email": email, "password": NEW_PASSWORD})
    ).status_code == 200
    # The login made before the reset is over.
    assert_problem(await refresh(client, person.tokens["refresh_token"]), 401)
    notice = await MAILBOX.wait_for(email, count=3)
    assert notice["Subject"] == "Your Toward password was changed"
    # The code worked once.
    again = await client.post(CONFIRM, json={"code": code, "password": "yet another one!"})
    assert_problem(again, 422, "code")


async def test_the_answer_is_the_same_whatever_the_email(client, conn):
    unverified = await register(client, verified=False)
    verified = await register(client, verified=True)
    answers = [
        await client.post(RESET, json={"email": email})
        for email in (new_email(), unverified.user["email"], verified.user["email"])
    ]
    assert {answer.status_code for answer in answers} == {202}
    assert {answer.content for answer in answers} == {b""}
    # Only the verified address is sent a code.
    await MAILBOX.wait_for(verified.user["email"], count=2)
    assert await _codes_of(conn, unverified.user["email"]) == 0
    assert await _codes_of(conn, verified.user["email"]) == 1
    await asyncio.sleep(0.2)
    assert len(MAILBOX.to(unverified.user["email"])) == 1  # the verification code only


async def test_an_account_is_sent_few_codes_an_hour(client, conn, configure):
    configure(codes_per_hour=2)
    person = await register(client, verified=True)
    for _ in range(4):
        assert (await client.post(RESET, json={"email": person.user["email"]})).status_code == 202
    assert await _codes_of(conn, person.user["email"]) == 2


async def test_parallel_requests_send_no_more_codes_than_allowed(app, client, conn, configure):
    """From many addresses at once, each taking its own turn per address: the account's
    own count still holds."""
    configure(codes_per_hour=3)
    person = await register(client, verified=True)
    email = person.user["email"]

    async def ask() -> int:
        async with client_from(app, new_address()) as elsewhere:
            return (await elsewhere.post(RESET, json={"email": email})).status_code

    assert set(await asyncio.gather(*(ask() for _ in range(8)))) == {202}
    assert await _codes_of(conn, email) == 3


async def test_a_code_that_works_is_not_refused_behind_a_limited_address(app, configure):
    configure(code_requests_per_client=1, code_window_seconds=600)
    async with client_from(app, new_address()) as client:
        person = await register(client, verified=True)
        code = await _reset_code(client, person.user["email"], count=2)
        wrong = {"code": "WRONG", "password": NEW_PASSWORD}
        assert_problem(await client.post(CONFIRM, json=wrong), 422, "code")
        assert_problem(await client.post(CONFIRM, json=wrong), 429)
        right = await client.post(CONFIRM, json={"code": code, "password": NEW_PASSWORD})
        assert right.status_code == 204, right.text


async def test_requests_are_limited_per_client_address(app, configure):
    configure(code_requests_per_client=2, code_window_seconds=600)
    async with client_from(app, new_address()) as client:
        for _ in range(2):
            assert (await client.post(RESET, json={"email": new_email()})).status_code == 202
        limited = await client.post(RESET, json={"email": new_email()})
        body = assert_problem(limited, 429)
        assert body["type"] == "urn:toward:problem:too-many-resets"
        assert 0 < int(limited.headers["Retry-After"]) <= 600
    async with client_from(app, new_address()) as elsewhere:
        assert (await elsewhere.post(RESET, json={"email": new_email()})).status_code == 202


async def test_a_code_that_does_not_work_changes_nothing(client, conn):
    person = await register(client, verified=True)
    email = person.user["email"]
    code = await _reset_code(client, email, count=2)

    assert_problem(
        await client.post(CONFIRM, json={"code": "ABCDE", "password": NEW_PASSWORD}), 422, "code"
    )
    # A verification code is not a reset code.
    other = await register(client, verified=False)
    verify_code = code_in(await MAILBOX.wait_for(other.user["email"]))
    wrong_purpose = await client.post(CONFIRM, json={"code": verify_code, "password": NEW_PASSWORD})
    assert_problem(wrong_purpose, 422, "code")
    # A password too short is refused before the code is looked at, and leaves it live.
    assert_problem(
        await client.post(CONFIRM, json={"code": code, "password": "short"}), 422, "password"
    )
    await conn.execute(
        sa.text("UPDATE email_codes SET expires_at = created_at WHERE purpose = 'reset'")
    )
    assert_problem(
        await client.post(CONFIRM, json={"code": code, "password": NEW_PASSWORD}), 422, "code"
    )

    assert (
        await client.post(LOGIN, json={"email": email, "password": PASSWORD})
    ).status_code == 200
    assert (await refresh(client, person.tokens["refresh_token"])).status_code == 200


async def test_bad_bodies_are_named(client):
    assert_problem(await client.post(RESET, json={}), 422, "email")
    assert_problem(await client.post(RESET, json={"email": "x" * 400}), 422, "email")
    assert_problem(await client.post(RESET, json={"email": "a@b.c", "extra": 1}), 422)
    assert_problem(await client.post(CONFIRM, json={"password": NEW_PASSWORD}), 422, "code")
    assert_problem(await client.post(CONFIRM, json={"code": "ABCDE"}), 422, "password")
    assert_problem(
        await client.post(CONFIRM, json={"code": "A", "password": "p" * 1025}), 422, "password"
    )


async def test_two_confirms_with_one_code_set_one_password(client):
    person = await register(client, verified=True)
    email = person.user["email"]
    code = await _reset_code(client, email, count=2)

    answers = await asyncio.gather(
        client.post(CONFIRM, json={"code": code, "password": "first new password"}),
        client.post(CONFIRM, json={"code": code, "password": "second new password"}),
    )
    assert sorted(answer.status_code for answer in answers) == [204, 422]
    won = "first new password" if answers[0].status_code == 204 else "second new password"
    assert (await client.post(LOGIN, json={"email": email, "password": won})).status_code == 200


async def test_a_reset_lifts_the_failed_logins_limit(client, configure):
    configure(login_failures_per_email=2)
    person = await register(client, verified=True)
    email = person.user["email"]
    for _ in range(2):
        await client.post(LOGIN, json={"email": email, "password": "not the password"})
    assert_problem(await client.post(LOGIN, json={"email": email, "password": PASSWORD}), 429)

    code = await _reset_code(client, email, count=2)
    assert (
        await client.post(CONFIRM, json={"code": code, "password": NEW_PASSWORD})
    ).status_code == 204
    assert (
        await client.post(LOGIN, json={"email": email, "password": NEW_PASSWORD})
    ).status_code == 200
