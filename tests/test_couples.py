"""`/couples`: create, join, list, read, change, invite — as a client sees them."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models.couple import CoupleInvite
from tests.conftest import Couple, Person, assert_problem, make_couple, register

COUPLES = "/api/v1/couples"
DEFAULT_WEIGHTS = {"toward": 1, "away": -5, "against": -5}
COUPLE_FIELDS = {"id", "name", "timezone", "week_starts", "partners", "weights", "created_at"}


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


async def create(client: httpx.AsyncClient, person: Person, **body: Any) -> httpx.Response:
    return await client.post(COUPLES, json=body, headers=person.headers)


async def join(client: httpx.AsyncClient, person: Person, code: str) -> httpx.Response:
    return await client.post(f"{COUPLES}/join", json={"code": code}, headers=person.headers)


async def new_invite(client: httpx.AsyncClient, couple: Couple) -> httpx.Response:
    return await client.post(f"{couple.path}/invite", headers=couple.first.headers)


async def read(client: httpx.AsyncClient, couple: Couple, person: Person) -> dict[str, Any]:
    response = await client.get(couple.path, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def patch(client: httpx.AsyncClient, couple: Couple, body: dict[str, Any]) -> httpx.Response:
    return await client.patch(couple.path, json=body, headers=couple.first.headers)


def partners_of(person: Person) -> dict[str, str]:
    return {"id": person.id, "display_name": person.user["display_name"]}


# --- create ---------------------------------------------------------------------------------


async def expire_invites(conn: AsyncConnection, couple: Couple, ago: timedelta) -> None:
    """Make the couple's invite codes expire `ago`, straight in the test's transaction."""
    invites = CoupleInvite.__table__  # type: ignore[attr-defined]
    await conn.execute(
        sa.update(invites)
        .where(invites.c.couple_id == uuid.UUID(couple.id))
        .values(expires_at=datetime.now(UTC) - ago)
    )


async def test_create_makes_the_caller_first_partner_with_an_invite(client, settings):
    ana = await register(client, "Ana")
    before = datetime.now(UTC)
    response = await create(client, ana, name="Ana & Ben", timezone="Europe/Paris")
    after = datetime.now(UTC)

    assert response.status_code == 201, response.text
    body = response.json()
    assert COUPLE_FIELDS | {"invite"} == set(body)
    uuid.UUID(body["id"])
    assert body["name"] == "Ana & Ben"
    assert body["timezone"] == "Europe/Paris"
    assert body["week_starts"] == "monday"
    assert body["partners"] == [partners_of(ana)]
    assert body["weights"] == DEFAULT_WEIGHTS
    assert before - timedelta(seconds=1) <= parse_time(body["created_at"]) <= after
    invite = body["invite"]
    assert set(invite) == {"code", "expires_at"}
    assert isinstance(invite["code"], str) and len(invite["code"]) >= 8
    expected_expiry = before + timedelta(hours=settings.invite_hours)
    assert abs(parse_time(invite["expires_at"]) - expected_expiry) < timedelta(minutes=1)


async def test_create_without_a_body_defaults(client):
    ana = await register(client, "Ana")
    body = (await create(client, ana)).json()
    assert body["name"] is None
    assert body["timezone"] == "UTC"
    assert body["partners"] == [partners_of(ana)]


async def test_create_defaults_the_timezone_to_the_callers(client):
    ana = await register(client, "Ana", timezone="America/Sao_Paulo")
    response = await create(client, ana)
    assert response.status_code == 201, response.text
    assert response.json()["timezone"] == "America/Sao_Paulo"


async def test_create_invite_codes_differ_between_couples(client):
    ana = await register(client, "Ana")
    first = (await create(client, ana)).json()
    second = (await create(client, ana)).json()
    assert first["id"] != second["id"]
    assert first["invite"]["code"] != second["invite"]["code"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "paris"}, "timezone"),
        ({"timezone": 5}, "timezone"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"week_starts": "sunday"}, "week_starts"),  # not settable on create: unknown field
        ({"partners": []}, "partners"),
        ({"id": str(uuid.uuid4())}, "id"),
    ],
)
async def test_create_rejects_bad_input(client, body, field):
    ana = await register(client, "Ana")
    assert_problem(await create(client, ana, **body), 422, field)
    assert (await client.get(COUPLES, headers=ana.headers)).json()["items"] == []


async def test_create_is_refused_to_a_therapist(client):
    therapist = await register(client, "Dr", account_type="therapist")
    assert_problem(await create(client, therapist), 403)
    assert (await client.get(COUPLES, headers=therapist.headers)).json()["items"] == []


# --- join -----------------------------------------------------------------------------------


async def test_join_makes_the_caller_second_partner(client):
    ana = await register(client, "Ana")
    created = (await create(client, ana, name="Us")).json()
    ben = await register(client, "Ben")

    response = await join(client, ben, created["invite"]["code"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == COUPLE_FIELDS  # the code is not handed out again
    assert body["id"] == created["id"]
    assert body["name"] == "Us"
    assert body["partners"] == [partners_of(ana), partners_of(ben)]
    # Both partners now read the same couple.
    for person in (ana, ben):
        listed = (await client.get(COUPLES, headers=person.headers)).json()["items"]
        assert [couple["id"] for couple in listed] == [created["id"]]


@pytest.mark.parametrize(
    "spell",
    [
        pytest.param(str.lower, id="lower-case"),
        pytest.param(lambda code: code.replace("-", ""), id="without-dash"),
        pytest.param(lambda code: code.lower().replace("-", ""), id="lower-without-dash"),
        pytest.param(lambda code: f"  {code}  ", id="surrounding-space"),
    ],
)
async def test_join_accepts_the_code_however_it_is_typed(client, spell):
    ana = await register(client, "Ana")
    created = (await create(client, ana)).json()
    code = created["invite"]["code"]
    assert spell(code) != code
    ben = await register(client, "Ben")
    response = await join(client, ben, spell(code))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == created["id"]


async def test_join_with_an_unknown_code_is_404(client):
    ben = await register(client, "Ben")
    assert_problem(await join(client, ben, "ZZZZZ-ZZZZZ"), 404)


async def test_join_with_an_expired_code_is_404(client, conn: AsyncConnection):
    couple = await make_couple(client, joined=False)
    await expire_invites(conn, couple, ago=timedelta(seconds=1))
    ben = await register(client, "Ben")
    assert_problem(await join(client, ben, couple.data["invite"]["code"]), 404)
    assert len((await read(client, couple, couple.first))["partners"]) == 1


async def test_join_with_a_used_code_is_404(client, couple):
    carl = await register(client, "Carl")
    assert_problem(await join(client, carl, couple.data["invite"]["code"]), 404)
    assert [p["id"] for p in (await read(client, couple, couple.first))["partners"]] == [
        couple.first.id,
        couple.second.id,
    ]


async def test_join_own_couple_is_409_and_leaves_the_code_usable(client):
    couple = await make_couple(client, joined=False)
    code = couple.data["invite"]["code"]
    assert_problem(await join(client, couple.first, code), 409)

    ben = await register(client, "Ben")
    assert (await join(client, ben, code)).status_code == 200


async def test_no_third_partner_can_join_a_full_couple(client, couple):
    assert_problem(await new_invite(client, couple), 409)
    assert_problem(await client.post(f"{couple.path}/invite", headers=couple.second.headers), 409)
    assert len((await read(client, couple, couple.first))["partners"]) == 2


async def test_join_is_refused_to_a_therapist_and_keeps_the_code(client):
    couple = await make_couple(client, joined=False)
    code = couple.data["invite"]["code"]
    therapist = await register(client, "Dr", account_type="therapist")
    assert_problem(await join(client, therapist, code), 403)

    ben = await register(client, "Ben")
    assert (await join(client, ben, code)).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "code"), ({"code": ""}, "code"), ({"code": 123}, "code"), ({"code": "A", "x": 1}, "x")],
)
async def test_join_rejects_bad_input(client, body, field):
    ben = await register(client, "Ben")
    response = await client.post(f"{COUPLES}/join", json=body, headers=ben.headers)
    assert_problem(response, 422, field)


# --- new invite -----------------------------------------------------------------------------


async def test_new_invite_replaces_the_older_code(client, settings):
    couple = await make_couple(client, joined=False)
    old_code = couple.data["invite"]["code"]

    response = await new_invite(client, couple)

    assert response.status_code == 201, response.text
    invite = response.json()
    assert set(invite) == {"code", "expires_at"}
    assert invite["code"] != old_code
    expected_expiry = datetime.now(UTC) + timedelta(hours=settings.invite_hours)
    assert abs(parse_time(invite["expires_at"]) - expected_expiry) < timedelta(minutes=1)

    ben = await register(client, "Ben")
    assert_problem(await join(client, ben, old_code), 404)
    joined = await join(client, ben, invite["code"])
    assert joined.status_code == 200, joined.text
    assert [p["id"] for p in joined.json()["partners"]] == [couple.first.id, ben.id]


async def test_new_invite_revives_an_expired_invitation(client, conn: AsyncConnection):
    couple = await make_couple(client, joined=False)
    await expire_invites(conn, couple, ago=timedelta(hours=1))
    code = (await new_invite(client, couple)).json()["code"]
    ben = await register(client, "Ben")
    assert (await join(client, ben, code)).status_code == 200


# --- list and read --------------------------------------------------------------------------


async def test_list_shows_only_the_callers_couples(client, couple, stranger):
    second_couple = (await create(client, couple.first, name="Another")).json()

    mine = (await client.get(COUPLES, headers=couple.first.headers)).json()
    assert set(mine) == {"items"}
    assert {item["id"] for item in mine["items"]} == {couple.id, second_couple["id"]}
    for item in mine["items"]:
        assert set(item) == COUPLE_FIELDS

    partners = (await client.get(COUPLES, headers=couple.second.headers)).json()["items"]
    assert [item["id"] for item in partners] == [couple.id]

    theirs = (await client.get(COUPLES, headers=stranger.headers)).json()["items"]
    assert len(theirs) == 1
    assert theirs[0]["id"] not in {couple.id, second_couple["id"]}


async def test_list_is_empty_for_a_new_account(client, couple):
    carl = await register(client, "Carl")
    response = await client.get(COUPLES, headers=carl.headers)
    assert response.status_code == 200
    assert response.json() == {"items": []}


async def test_read_gives_the_couple(client, couple):
    for person in (couple.first, couple.second):
        body = await read(client, couple, person)
        assert set(body) == COUPLE_FIELDS
        assert body["id"] == couple.id
        assert body["timezone"] == "UTC"
        assert body["week_starts"] == "monday"
        assert body["weights"] == DEFAULT_WEIGHTS
        assert body["partners"] == [partners_of(couple.first), partners_of(couple.second)]
        assert body["created_at"] == couple.data["created_at"]


async def test_read_an_unknown_couple_is_404(client, couple):
    response = await client.get(f"{COUPLES}/{uuid.uuid4()}", headers=couple.first.headers)
    assert_problem(response, 404)


async def test_read_with_a_malformed_id_is_422(client, couple):
    response = await client.get(f"{COUPLES}/not-a-uuid", headers=couple.first.headers)
    assert_problem(response, 422, "couple_id")


# --- patch ----------------------------------------------------------------------------------


async def test_patch_changes_settings_for_both_partners(client, couple):
    response = await patch(
        client, couple, {"name": "Us two", "timezone": "Asia/Tokyo", "week_starts": "sunday"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["timezone"], body["week_starts"]) == (
        "Us two",
        "Asia/Tokyo",
        "sunday",
    )
    assert body["weights"] == DEFAULT_WEIGHTS
    assert await read(client, couple, couple.second) == body


async def test_patch_by_the_second_partner(client, couple):
    response = await client.patch(
        couple.path, json={"week_starts": "sunday"}, headers=couple.second.headers
    )
    assert response.status_code == 200, response.text
    assert (await read(client, couple, couple.first))["week_starts"] == "sunday"


async def test_patch_leaves_out_fields_untouched_and_null_name_clears(client):
    couple = await make_couple(client, name="Named", timezone="Europe/Berlin")
    response = await patch(client, couple, {"week_starts": "sunday"})
    assert response.json()["name"] == "Named"
    assert response.json()["timezone"] == "Europe/Berlin"

    cleared = await patch(client, couple, {"name": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["name"] is None
    assert cleared.json()["timezone"] == "Europe/Berlin"


async def test_patch_with_an_empty_body_changes_nothing(client, couple):
    before = await read(client, couple, couple.first)
    response = await patch(client, couple, {})
    assert response.status_code == 200
    assert response.json() == before


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ({"away": -3}, {"toward": 1, "away": -3, "against": -5}),
        ({"toward": 2, "against": -10}, {"toward": 2, "away": -5, "against": -10}),
        ({"toward": 20, "away": -20, "against": -20}, {"toward": 20, "away": -20, "against": -20}),
        ({"toward": 1, "away": -1, "against": -1}, {"toward": 1, "away": -1, "against": -1}),
        ({}, DEFAULT_WEIGHTS),
    ],
)
async def test_patch_weights_in_part(client, couple, weights, expected):
    response = await patch(client, couple, {"weights": weights})
    assert response.status_code == 200, response.text
    assert response.json()["weights"] == expected
    assert (await read(client, couple, couple.second))["weights"] == expected


async def test_patch_weights_keeps_earlier_changes(client, couple):
    await patch(client, couple, {"weights": {"toward": 3}})
    response = await patch(client, couple, {"weights": {"away": -2}})
    assert response.json()["weights"] == {"toward": 3, "away": -2, "against": -5}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weights": {"toward": 0}}, "weights.toward"),
        ({"weights": {"toward": 21}}, "weights.toward"),
        ({"weights": {"toward": -1}}, "weights.toward"),
        ({"weights": {"toward": 1.5}}, "weights.toward"),
        ({"weights": {"toward": None}}, "weights.toward"),
        ({"weights": {"away": 0}}, "weights.away"),
        ({"weights": {"away": -21}}, "weights.away"),
        ({"weights": {"away": 5}}, "weights.away"),
        ({"weights": {"against": 0}}, "weights.against"),
        ({"weights": {"against": -21}}, "weights.against"),
        ({"weights": {"against": None}}, "weights.against"),
        ({"weights": {"kindness": 3}}, "weights.kindness"),
        ({"weights": None}, "weights"),
        ({"timezone": None}, "timezone"),
        ({"timezone": "Nowhere/Town"}, "timezone"),
        ({"timezone": "europe/paris"}, "timezone"),
        ({"week_starts": "tuesday"}, "week_starts"),
        ({"week_starts": None}, "week_starts"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"partners": []}, "partners"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
)
async def test_patch_rejects_bad_input(client, couple, body, field):
    before = await read(client, couple, couple.first)
    assert_problem(await patch(client, couple, body), 422, field)
    assert await read(client, couple, couple.first) == before


async def test_patch_rejects_the_whole_body_when_one_weight_is_out_of_bounds(client, couple):
    response = await patch(client, couple, {"name": "New", "weights": {"toward": 5, "away": -30}})
    assert_problem(response, 422, "weights.away")
    body = await read(client, couple, couple.first)
    assert body["name"] is None
    assert body["weights"] == DEFAULT_WEIGHTS


# --- who may call ---------------------------------------------------------------------------

COUPLE_ROUTES = [
    pytest.param("GET", "", None, id="GET couple"),
    pytest.param("PATCH", "", {"name": "Mine now"}, id="PATCH couple"),
    pytest.param("POST", "/invite", None, id="POST invite"),
]


@pytest.mark.parametrize(("method", "suffix", "body"), COUPLE_ROUTES)
async def test_a_partner_of_another_couple_gets_404(client, couple, stranger, method, suffix, body):
    half = await make_couple(client, joined=False)  # so POST /invite would otherwise succeed
    for target in (couple, half):
        response = await client.request(
            method, target.path + suffix, json=body, headers=stranger.headers
        )
        problem = assert_problem(response, 404)
        # Exactly what a couple that does not exist looks like.
        missing = await client.request(
            method, f"{COUPLES}/{uuid.uuid4()}{suffix}", json=body, headers=stranger.headers
        )
        assert problem == assert_problem(missing, 404)
        after = await read(client, target, target.first)
        assert after["name"] is None
        assert stranger.id not in {p["id"] for p in after["partners"]}
    # A refused invite request did not retire the couple's live code.
    ben = await register(client, "Ben")
    assert (await join(client, ben, half.data["invite"]["code"])).status_code == 200


@pytest.mark.parametrize(("method", "suffix", "body"), COUPLE_ROUTES)
async def test_a_therapist_gets_404_on_a_couple(client, couple, method, suffix, body):
    therapist = await register(client, "Dr", account_type="therapist")
    response = await client.request(
        method, couple.path + suffix, json=body, headers=therapist.headers
    )
    assert_problem(response, 404)


NO_TOKEN_ROUTES = [
    pytest.param("POST", "", {}, id="POST couples"),
    pytest.param("GET", "", None, id="GET couples"),
    pytest.param("POST", "/join", {"code": "ABCDE-FGHIJ"}, id="POST join"),
    *[
        pytest.param(method, "/{id}" + suffix, body, id=param.id)
        for param in COUPLE_ROUTES
        for method, suffix, body in [param.values]
    ],
]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param({"Authorization": "Bearer not-a-token"}, id="bad-token"),
        pytest.param({"Authorization": "Basic YW5hOnNlY3JldA=="}, id="basic-auth"),
    ],
)
@pytest.mark.parametrize(("method", "suffix", "body"), NO_TOKEN_ROUTES)
async def test_without_a_valid_token_is_401(client, couple, method, suffix, body, headers):
    path = COUPLES + suffix.replace("{id}", couple.id)
    response = await client.request(method, path, json=body, headers=headers)
    assert_problem(response, 401)
    assert (await read(client, couple, couple.first))["name"] is None
