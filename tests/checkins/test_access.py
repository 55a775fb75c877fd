"""Who may call the check-in endpoints: a partner of another couple, a therapist (even
with both partners' grants) and a caller without a valid token get nothing, and change
nothing."""

import uuid

import pytest

from tests.checkins.helpers import DAY, body_of, check_in, listed, read
from tests.http import assert_problem
from tests.therapists.helpers import grant_both

ROUTES = [
    pytest.param("GET", "", None, id="GET checkins"),
    pytest.param("PUT", "/{date}", body_of(connection=1, note="changed"), id="PUT checkin"),
    pytest.param("GET", "/{date}", None, id="GET checkin"),
    pytest.param("DELETE", "/{date}", None, id="DELETE checkin"),
]


def _url(couple_id: str, suffix: str) -> str:
    return f"/api/v1/couples/{couple_id}/checkins" + suffix.replace("{date}", DAY.isoformat())


async def _unchanged(client, couple, checkin) -> None:
    assert (await read(client, couple, couple.first)).json() == checkin
    assert await listed(client, couple, couple.first) == [checkin]


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
async def test_a_partner_of_another_couple_gets_404(client, couple, stranger, method, suffix, body):
    checkin = await check_in(client, couple, couple.first, note="ours")
    problem = assert_problem(
        await client.request(method, _url(couple.id, suffix), json=body, headers=stranger.headers),
        404,
    )
    # Exactly what a couple that does not exist looks like.
    assert problem == assert_problem(
        await client.request(
            method, _url(str(uuid.uuid4()), suffix), json=body, headers=stranger.headers
        ),
        404,
    )
    await _unchanged(client, couple, checkin)


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
async def test_a_therapist_with_both_grants_gets_404(
    client, couple, therapist, method, suffix, body
):
    checkin = await check_in(client, couple, couple.first, note="ours")
    await grant_both(client, couple, therapist)
    response = await client.request(
        method, _url(couple.id, suffix), json=body, headers=therapist.headers
    )
    assert_problem(response, 404)
    await _unchanged(client, couple, checkin)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param({"Authorization": "Bearer not-a-token"}, id="bad-token"),
    ],
)
@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
async def test_without_a_valid_token_is_401(client, couple, method, suffix, body, headers):
    checkin = await check_in(client, couple, couple.first)
    response = await client.request(method, _url(couple.id, suffix), json=body, headers=headers)
    assert_problem(response, 401)
    await _unchanged(client, couple, checkin)


async def test_each_couple_lists_only_its_own_check_ins(client, couple, stranger):
    ours = await check_in(client, couple, couple.first)
    couples = (await client.get("/api/v1/couples", headers=stranger.headers)).json()["items"]
    theirs = f"/api/v1/couples/{couples[0]['id']}/checkins"
    put = await client.put(f"{theirs}/{DAY.isoformat()}", json=body_of(), headers=stranger.headers)
    assert put.status_code == 201, put.text

    listed_there = (await client.get(theirs, headers=stranger.headers)).json()["items"]
    assert [item["id"] for item in listed_there] == [put.json()["id"]]
    assert await listed(client, couple, couple.first) == [ours]
