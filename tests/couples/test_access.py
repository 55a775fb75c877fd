"""Who may call the couple endpoints: a partner of another couple, a therapist and a
caller without a valid token get nothing."""

import uuid

import pytest

from tests.couples.helpers import COUPLES, join, read
from tests.factories import make_couple, register
from tests.http import assert_problem
from tests.therapists.helpers import grant_both

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
    # Both partners' grants open the therapist's figures, never the couple itself.
    therapist = await register(client, "Dr", account_type="therapist")
    await grant_both(client, couple, therapist)
    response = await client.request(
        method, couple.path + suffix, json=body, headers=therapist.headers
    )
    assert_problem(response, 404)
    assert (await read(client, couple, couple.first))["name"] is None


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
