"""Who may call the activity endpoints: a partner of another couple, a therapist with
both partners' grants and a caller without a valid token get nothing, and change
nothing."""

import uuid
from typing import Any

import httpx
import pytest

from tests.activities.helpers import (
    activities_of,
    get_activity,
    listed_ids,
    log_activity,
)
from tests.factories import Couple, Person
from tests.http import assert_problem

ROUTES = [
    pytest.param("GET", "", None, id="GET activities"),
    pytest.param(
        "POST",
        "",
        {"kind": "date_night", "occurred_at": "2024-05-06T18:00:00Z"},
        id="POST activities",
    ),
    pytest.param("GET", "/{activity}", None, id="GET activity"),
    pytest.param("PATCH", "/{activity}", {"note": "changed"}, id="PATCH activity"),
    pytest.param("DELETE", "/{activity}", None, id="DELETE activity"),
]


def _path(couple_id: str, suffix: str, activity: dict[str, Any]) -> str:
    return activities_of(couple_id) + suffix.replace("{activity}", activity["id"])


async def _unchanged(client: httpx.AsyncClient, couple: Couple, activity: dict[str, Any]) -> None:
    assert (await get_activity(client, couple, activity["id"])).json() == activity
    assert await listed_ids(client, couple) == [activity["id"]]


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
async def test_a_partner_of_another_couple_gets_404(
    client: httpx.AsyncClient,
    couple: Couple,
    stranger: Person,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    activity = await log_activity(client, couple, note="ours")

    problem = assert_problem(
        await client.request(
            method, _path(couple.id, suffix, activity), json=body, headers=stranger.headers
        ),
        404,
    )

    # Exactly what a couple that does not exist looks like.
    missing = _path(str(uuid.uuid4()), suffix, activity)
    assert problem == assert_problem(
        await client.request(method, missing, json=body, headers=stranger.headers), 404
    )
    await _unchanged(client, couple, activity)


@pytest.mark.parametrize(("method", "suffix", "body"), [p for p in ROUTES if "{" in p.values[1]])
async def test_an_activity_of_another_couple_is_404_through_ones_own_couple(
    client: httpx.AsyncClient,
    couple: Couple,
    stranger_couple: Couple,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    activity = await log_activity(client, couple, note="ours")
    response = await client.request(
        method,
        _path(stranger_couple.id, suffix, activity),
        json=body,
        headers=stranger_couple.first.headers,
    )
    assert_problem(response, 404)
    await _unchanged(client, couple, activity)


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
async def test_a_therapist_with_both_grants_gets_404(
    client: httpx.AsyncClient,
    couple: Couple,
    therapist: Person,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    activity = await log_activity(client, couple, note="ours")
    path = _path(couple.id, suffix, activity)
    assert_problem(await client.request(method, path, json=body, headers=therapist.headers), 404)
    await _unchanged(client, couple, activity)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param({"Authorization": "Bearer not-a-token"}, id="bad-token"),
    ],
)
@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
async def test_without_a_valid_token_is_401(
    client: httpx.AsyncClient,
    couple: Couple,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
    headers: dict[str, str],
) -> None:
    activity = await log_activity(client, couple)
    path = _path(couple.id, suffix, activity)
    assert_problem(await client.request(method, path, json=body, headers=headers), 401)
    await _unchanged(client, couple, activity)
