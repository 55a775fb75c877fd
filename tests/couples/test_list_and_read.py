"""`GET /couples` and `GET /couples/{couple_id}`: the caller's couples only."""

import uuid

from tests.couples.helpers import COUPLE_FIELDS, COUPLES, DEFAULT_WEIGHTS, create, partners_of, read
from tests.factories import register
from tests.http import assert_problem


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
