"""`PATCH /me`: what the caller may change of their own account, and the input it
refuses."""

import uuid
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa

from models.user import User
from tests.factories import PASSWORD, Person, register
from tests.http import assert_problem
from tests.users.helpers import ME, read_me


async def patch_me(
    client: httpx.AsyncClient, person: Person, body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(ME, json=body, headers=person.headers)


@pytest.mark.parametrize(
    "change",
    [
        {"display_name": "Samira"},
        {"timezone": "Asia/Kolkata"},
        {"love_languages": {"give": ["acts", "time"], "receive": ["words", "touch", "gifts"]}},
        {"attachment_style": "anxious"},
        {"display_name": "Sam R.", "timezone": "America/Sao_Paulo", "attachment_style": "secure"},
        {"share_profile": False},
        {"share_profile": False, "love_languages": {"give": ["time"], "receive": []}},
    ],
)
async def test_patch_me_changes_only_what_is_given(client, change):
    person = await register(client)

    response = await patch_me(client, person, change)

    assert response.status_code == 200, response.text
    expected = {**person.user, **change}
    assert response.json() == expected
    assert await read_me(client, person) == expected


async def test_patch_me_trims_the_display_name(client):
    person = await register(client)
    response = await patch_me(client, person, {"display_name": "  Sam  "})
    assert response.status_code == 200, response.text
    assert (await read_me(client, person))["display_name"] == "Sam"


@pytest.mark.parametrize("style", ["secure", "anxious", "avoidant", "disorganized"])
async def test_patch_me_accepts_each_attachment_style(client, style):
    person = await register(client)
    response = await patch_me(client, person, {"attachment_style": style})
    assert response.status_code == 200, response.text
    assert (await read_me(client, person))["attachment_style"] == style


async def test_patch_me_null_clears_the_attachment_style(client):
    person = await register(client)
    assert (await patch_me(client, person, {"attachment_style": "avoidant"})).status_code == 200

    response = await patch_me(client, person, {"attachment_style": None})

    assert response.status_code == 200, response.text
    assert (await read_me(client, person))["attachment_style"] is None


async def test_patch_me_can_empty_the_love_languages(client):
    person = await register(client)
    full = {"give": ["words", "acts", "gifts", "time", "touch"], "receive": ["time"]}
    assert (await patch_me(client, person, {"love_languages": full})).status_code == 200

    empty = {"give": [], "receive": []}
    assert (await patch_me(client, person, {"love_languages": empty})).status_code == 200

    assert (await read_me(client, person))["love_languages"] == empty


async def test_patch_me_with_nothing_changes_nothing(client):
    person = await register(client)
    response = await patch_me(client, person, {})
    assert response.status_code == 200, response.text
    assert response.json() == person.user


async def test_a_new_account_shares_its_profile(client):
    person = await register(client)
    assert person.user["share_profile"] is True
    assert (await read_me(client, person))["share_profile"] is True


async def test_patch_me_turns_sharing_off_and_on_again(client):
    person = await register(client)
    off = await patch_me(client, person, {"share_profile": False})
    assert off.status_code == 200, off.text
    assert off.json()["share_profile"] is False
    assert (await read_me(client, person))["share_profile"] is False
    # Fields left out stay: a later change of another field keeps sharing off.
    assert (await patch_me(client, person, {"attachment_style": "secure"})).json()[
        "share_profile"
    ] is False

    on = await patch_me(client, person, {"share_profile": True})

    assert on.status_code == 200, on.text
    assert await read_me(client, person) == {
        **person.user,
        "attachment_style": "secure",
        "share_profile": True,
    }


async def test_patch_me_without_a_token_leaves_sharing_as_it_was(client):
    person = await register(client)
    response = await client.patch(ME, json={"share_profile": False})
    assert_problem(response, 401)
    assert (await read_me(client, person))["share_profile"] is True


async def test_patch_me_changes_only_the_caller(client):
    person = await register(client, "Ana")
    partner = await register(client, "Ben")

    assert (await patch_me(client, person, {"display_name": "Anna"})).status_code == 200

    assert await read_me(client, partner) == partner.user


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"display_name": None}, "display_name"),
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "x" * 101}, "display_name"),
        ({"timezone": None}, "timezone"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"love_languages": None}, "love_languages"),
        ({"love_languages": {"give": ["hugs"], "receive": []}}, "love_languages.give.0"),
        (
            {"love_languages": {"give": [], "receive": ["time", "money"]}},
            "love_languages.receive.1",
        ),
        ({"love_languages": {"give": "words", "receive": []}}, "love_languages.give"),
        ({"love_languages": {"give": ["words", "words"]}}, "love_languages.give"),
        (
            {"love_languages": {"give": [], "receive": ["time", "acts", "time"]}},
            "love_languages.receive",
        ),
        ({"love_languages": {"give": [], "receive": [], "share": []}}, "love_languages.share"),
        ({"attachment_style": "clingy"}, "attachment_style"),
        ({"share_profile": None}, "share_profile"),
        ({"share_profile": "yes"}, "share_profile"),
        ({"share_profile": "false"}, "share_profile"),
        ({"share_profile": 1}, "share_profile"),
        ({"share_profile": 0}, "share_profile"),
        ({"share_profile": {}}, "share_profile"),
        # Ownership, identity and role are never taken from a body.
        ({"email": "new@example.org"}, "email"),
        ({"account_type": "therapist"}, "account_type"),
        ({"id": str(uuid.uuid4())}, "id"),
        ({"password": "a new password"}, "password"),
        ({"password_hash": "x"}, "password_hash"),
    ],
)
async def test_patch_me_rejects_a_bad_field_and_changes_nothing(client, body, field):
    person = await register(client)
    # A valid change beside the bad one must not be applied either.
    response = await patch_me(client, person, {"display_name": "Changed", **body})

    assert_problem(response, 422, field)
    assert await read_me(client, person) == person.user


async def test_patch_me_cannot_make_a_partner_a_therapist(client, settings):
    person = await register(client)
    assert_problem(
        await patch_me(client, person, {"account_type": "therapist"}), 422, "account_type"
    )

    credentials = {"email": person.user["email"], "password": PASSWORD}
    relogin = await client.post("/api/v1/auth/login", json=credentials)
    token = relogin.json()["access_token"]
    assert jwt.decode(token, settings.secret_key, algorithms=["HS256"])["role"] == "partner"


async def test_patch_of_one_love_language_list_keeps_the_other(client):
    person = await register(client, "Lia")
    both = {"love_languages": {"give": ["acts"], "receive": ["touch", "time"]}}
    assert (await client.patch("/api/v1/me", json=both, headers=person.headers)).status_code == 200
    response = await client.patch(
        "/api/v1/me", json={"love_languages": {"give": ["words"]}}, headers=person.headers
    )
    assert response.status_code == 200
    assert response.json()["love_languages"] == {"give": ["words"], "receive": ["touch", "time"]}


async def test_a_love_language_listed_twice_is_named_in_the_refusal(client):
    person = await register(client)
    body = {"love_languages": {"give": ["touch", "words", "touch", "words", "acts"]}}
    problem = assert_problem(await patch_me(client, person, body), 422, "love_languages.give")
    assert problem["errors"] == [
        {"field": "love_languages.give", "message": "lists touch, words more than once"}
    ]


async def test_a_profile_stored_with_a_repeat_still_reads(client, conn):
    # Stored before repeats were refused: the rule is on what is sent, not on reading.
    person = await register(client)
    repeated = {"give": ["words", "words"], "receive": ["time"]}
    await conn.execute(
        sa.update(User.__table__)  # type: ignore[attr-defined]
        .where(User.__table__.c.id == uuid.UUID(person.user["id"]))  # type: ignore[attr-defined]
        .values(love_languages=repeated)
    )
    assert (await read_me(client, person))["love_languages"] == repeated
    # Changing the other list keeps the stored one as it is.
    response = await patch_me(client, person, {"love_languages": {"receive": ["acts"]}})
    assert response.status_code == 200, response.text
    assert response.json()["love_languages"] == {"give": ["words", "words"], "receive": ["acts"]}
