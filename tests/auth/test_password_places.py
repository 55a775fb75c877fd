"""Registrations are limited per client address, and a worker runs a bounded number of
password hashes: past either bound a client is told at once when to come back."""

import os
import sys
from contextlib import ExitStack

import pytest

from api.auth.passwords import HASH_NICENESS
from tests.factories import PASSWORD, new_address, register
from tests.http import assert_problem, client_from

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"


def _registration(number: int) -> dict[str, str]:
    return {"email": f"r{number}@example.org", "password": PASSWORD, "display_name": "R"}


async def test_registrations_are_limited_per_address_whatever_their_outcome(app, configure, clock):
    settings = configure(registrations_per_client=3, registration_window_seconds=600)
    async with client_from(app, new_address()) as client:
        assert (await client.post(REGISTER, json=_registration(1))).status_code == 201
        assert_problem(await client.post(REGISTER, json=_registration(1)), 409)  # counted
        assert (await client.post(REGISTER, json=_registration(2))).status_code == 201

        limited = await client.post(REGISTER, json=_registration(3))
        body = assert_problem(limited, 429)
        assert body["type"] == "urn:toward:problem:too-many-registrations"
        assert limited.headers["Retry-After"] == str(settings.registration_window_seconds)
        # Nothing was created: once the window has passed, the same email registers.
        clock.advance(settings.registration_window_seconds)
        assert (await client.post(REGISTER, json=_registration(3))).status_code == 201

    async with client_from(app, new_address()) as elsewhere:
        assert (await elsewhere.post(REGISTER, json=_registration(4))).status_code == 201


async def test_a_taken_email_is_refused_without_hashing(app, client):
    existing = await register(client)
    hashed = []
    hasher = app.state.passwords.hasher
    real_hash = hasher.hash

    def counted(password: str) -> str:
        hashed.append(password)
        return real_hash(password)

    hasher.hash = counted
    body = {**_registration(9), "email": existing.user["email"].upper()}
    assert_problem(await client.post(REGISTER, json=body), 409)
    assert hashed == []


@pytest.mark.parametrize("path", [REGISTER, LOGIN])
async def test_past_the_hashes_in_flight_a_request_is_503_at_once(app, configure, path):
    # Limits that the refused request would reach if it had counted.
    configure(password_hashes_in_flight=2, registrations_per_client=2, login_failures_per_email=1)
    async with client_from(app, new_address()) as client:
        await _refused_at_once_and_not_counted(app, client, path)


async def _refused_at_once_and_not_counted(app, client, path):
    person = await register(client)
    body = (
        _registration(7)
        if path == REGISTER
        else {"email": person.user["email"], "password": "wrong password!"}
    )
    passwords = app.state.passwords
    with ExitStack() as held:
        for _ in range(passwords.limit):
            held.enter_context(passwords.place())
        busy = await client.post(path, json=body)
    problem = assert_problem(busy, 503)
    assert problem["type"] == "urn:toward:problem:busy"
    assert busy.headers["Retry-After"] == "1"
    assert passwords.taken == 0
    # The refused request counted for nothing: it may be sent again as it was.
    expected = 201 if path == REGISTER else 401
    assert (await client.post(path, json=body)).status_code == expected
    assert passwords.taken == 0


@pytest.mark.skipif(sys.platform != "linux", reason="threads have a niceness of their own on Linux")
async def test_hashes_run_below_the_requests(app):
    """A flood of hashes takes the CPU that requests leave over."""
    own = os.getpriority(os.PRIO_PROCESS, 0)
    hashing = await app.state.passwords.run(lambda: os.getpriority(os.PRIO_PROCESS, 0))
    assert hashing == min(19, own + HASH_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, 0) == own
