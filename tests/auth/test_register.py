"""`POST /auth/register`: the account it makes, and the input it refuses."""

import uuid
from typing import Any

import pytest

from tests.auth.helpers import assert_token_pair, login, me, new_email
from tests.factories import PASSWORD, register
from tests.http import assert_problem

REGISTER = "/api/v1/auth/register"
USER_FIELDS = {
    "id",
    "email",
    "email_verified",
    "display_name",
    "timezone",
    "account_type",
    "love_languages",
    "attachment_style",
    "share_profile",
}


def registration(**overrides: Any) -> dict[str, Any]:
    return {"email": new_email(), "password": PASSWORD, "display_name": "Kim", **overrides}


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
    assert user["email_verified"] is False
    assert user["love_languages"] == {"give": [], "receive": []}
    assert user["attachment_style"] is None
    assert user["share_profile"] is True
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
