"""Every answer is a documented status with a problem of our own type, whatever a
client sends: the framework's own errors included."""

import json
from typing import Any

import httpx
import pytest

from api.main import app as served_app
from tests.factories import Couple
from tests.http import assert_problem

OPERATIONS_WITH_A_BODY = sorted(
    (method.upper(), path)
    for path, operations in served_app.openapi()["paths"].items()
    for method, operation in operations.items()
    if "requestBody" in operation
)


def _concrete(path: str, couple: Couple) -> str:
    return (
        path.replace("{couple_id}", couple.id)
        .replace("{bid_id}", "00000000-0000-4000-8000-000000000000")
        .replace("{therapist_id}", "00000000-0000-4000-8000-000000000001")
    )


UNREADABLE = {
    "not UTF-8": b'{"kind": "\xff"}',
    "too deep": b"[" * 5000 + b"]" * 5000,
    "too many digits": b'{"kind": ' + b"9" * 5000 + b"}",
}


def test_every_operation_with_a_body_is_covered():
    assert len(OPERATIONS_WITH_A_BODY) >= 12


@pytest.mark.parametrize("body", UNREADABLE.values(), ids=UNREADABLE.keys())
@pytest.mark.parametrize(("method", "path"), OPERATIONS_WITH_A_BODY)
async def test_a_body_that_cannot_be_read_as_json_is_422_on_body(
    client, couple: Couple, method, path, body
):
    response = await client.request(
        method,
        _concrete(path, couple),
        content=body,
        headers={**couple.first.headers, "content-type": "application/json"},
    )
    problem = assert_problem(response, 422, "body")
    assert problem["type"] == "urn:toward:problem:validation"


async def test_a_method_a_path_does_not_serve_lists_every_method_it_does(client, couple):
    for path, expected in (
        ("/api/v1/me", {"GET", "PATCH", "DELETE"}),
        (f"{couple.bids}/00000000-0000-4000-8000-000000000000", {"GET", "PATCH", "DELETE"}),
        ("/api/v1/couples", {"GET", "POST"}),
        ("/api/v1/couples/join", {"POST"}),
    ):
        response = await client.request("OPTIONS", path, headers=couple.first.headers)
        problem = assert_problem(response, 405)
        assert problem["type"] == "urn:toward:problem:method-not-allowed"
        assert set(response.headers["allow"].split(", ")) == expected, path


async def test_a_path_outside_the_api_keeps_its_routers_allow(client):
    response = await client.post("/openapi.json")
    assert_problem(response, 405)
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


async def test_an_unknown_path_is_a_problem_of_our_own_type(client):
    problem = assert_problem(await client.get("/api/v1/nowhere"), 404)
    assert problem["type"] == "urn:toward:problem:not-found"


def test_problems_are_documented_as_problem_json_only():
    schema = served_app.openapi()
    for operations in schema["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert set(response["content"]) == {"application/problem+json"}, status


def _nullable(schema: dict[str, Any]) -> bool:
    return any(option.get("type") == "null" for option in schema.get("anyOf", []))


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        ("UserUpdate", ["display_name", "timezone", "love_languages", "share_profile"]),
        ("CoupleUpdate", ["timezone", "week_starts", "weights"]),
        ("WeightsUpdate", ["toward", "away", "against"]),
        ("BidUpdate", ["kind", "occurred_at", "private", "repair"]),
    ],
)
def test_fields_that_may_not_be_cleared_are_not_nullable_in_the_schema(model, fields):
    properties = served_app.openapi()["components"]["schemas"][model]["properties"]
    for field in fields:
        assert not _nullable(properties[field]), (model, field)


def test_fields_that_may_be_cleared_stay_nullable_in_the_schema():
    schemas = served_app.openapi()["components"]["schemas"]
    assert _nullable(schemas["BidUpdate"]["properties"]["note"])
    assert _nullable(schemas["UserUpdate"]["properties"]["attachment_style"])


@pytest.mark.parametrize("value", [-4.0, -4])
async def test_a_weight_is_any_json_integer(client, couple: Couple, value):
    response = await client.patch(
        couple.path, json={"weights": {"against": value}}, headers=couple.first.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["weights"]["against"] == -4


@pytest.mark.parametrize("value", [-4.5, "4", True])
async def test_a_weight_that_is_not_a_whole_number_is_422(client, couple: Couple, value):
    response = await client.patch(
        couple.path, json={"weights": {"against": value}}, headers=couple.first.headers
    )
    assert_problem(response, 422, "weights.against")


def test_the_date_bounds_are_not_leaked_as_schema_keywords():
    text = json.dumps(served_app.openapi())
    assert '"ge": "1900-01-01"' not in text and '"le": "2999-12-31"' not in text


async def test_an_end_outside_its_range_is_422(client, couple: Couple):
    for end in ("1899-12-31", "3000-01-01"):
        response = await client.get(
            f"{couple.path}/trends/weekly", params={"end": end}, headers=couple.first.headers
        )
        assert_problem(response, 422, "end")


async def test_a_client_that_sends_no_json_gets_the_same_422(client: httpx.AsyncClient, couple):
    response = await client.post(
        couple.bids,
        content=b"hello",
        headers={**couple.first.headers, "content-type": "text/plain"},
    )
    assert_problem(response, 422)
