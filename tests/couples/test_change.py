"""`PATCH /couples/{couple_id}`: name, calendar and weights, for both partners."""

from typing import Any

import httpx
import pytest

from tests.couples.helpers import DEFAULT_WEIGHTS, read
from tests.factories import Couple, make_couple
from tests.http import assert_problem


async def patch(client: httpx.AsyncClient, couple: Couple, body: dict[str, Any]) -> httpx.Response:
    return await client.patch(couple.path, json=body, headers=couple.first.headers)


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
