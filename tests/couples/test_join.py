"""`POST /couples/join`: the second partner joins by invite code, once, and only a
partner."""

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.couples.helpers import (
    COUPLE_FIELDS,
    COUPLES,
    create,
    expire_invites,
    join,
    new_invite,
    partners_of,
    read,
)
from tests.factories import make_couple, register
from tests.http import assert_problem


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
