"""Service endpoints, and problem details for the framework's own errors."""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from api.core.db import Database, create_engine
from tests.http import assert_problem


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@contextmanager
def unreachable_database(app: FastAPI) -> Iterator[None]:
    """The app's database out of reach, and its own put back for its lifespan to close."""
    unreachable = create_engine("postgresql://nobody@127.0.0.1:1/none", poolclass=sa.pool.NullPool)
    own = app.state.database
    app.state.database = Database(unreachable)
    try:
        yield
    finally:
        app.state.database = own


async def test_readyz_when_the_database_does_not(app: FastAPI, client: httpx.AsyncClient) -> None:
    with unreachable_database(app):
        response = await client.get("/readyz")
    body = assert_problem(response, 503)
    assert "database" in body["detail"]


async def test_unknown_path_is_a_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/v1/nothing-here"), 404)
    assert body["title"] == "Not Found"


async def test_wrong_method_is_a_problem_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/healthz")
    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]


async def test_malformed_json_names_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 422, field="body")


async def test_validation_problem_names_every_bad_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "nope", "password": "short", "display_name": ""}
    )
    body = assert_problem(response, 422)
    assert {error["field"] for error in body["errors"]} == {"email", "password", "display_name"}
    assert body["type"] == "urn:toward:problem:validation"


async def test_unexpected_error_is_a_500_problem_without_a_trace(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: /etc/passwd line 42")

    response = await client.get("/boom")
    body = assert_problem(response, 500)
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert body["title"] == "Internal Server Error"


def test_every_operation_documents_its_errors_as_problems(app: FastAPI) -> None:
    spec = app.openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and status != "422":
                    assert "application/problem+json" in response["content"], (method, path, status)


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
async def test_docs_are_served(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 200


def test_every_problem_code_in_use_is_listed_in_the_api_description(app: FastAPI) -> None:
    import re

    from api.core.errors import HTTP_CODES
    from tests.paths import ROOT

    used = {
        code
        for path in (ROOT / "api").rglob("*.py")
        for code in re.findall(r'code="([a-z-]+)"', path.read_text())
    } | {*HTTP_CODES.values(), "http-error"}
    description = app.openapi()["info"]["description"]
    assert used, "no problem codes found"
    assert {code for code in used if f"`{code}`" not in description} == set()


async def test_a_database_out_of_reach_is_a_503_to_retry(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    from tests.factories import make_couple

    couple = await make_couple(client)
    with unreachable_database(app):
        responses = [
            await client.get(couple.path, headers=couple.first.headers),
            await client.post(couple.bids, json={"kind": "humor"}, headers=couple.first.headers),
            await client.get("/api/v1/me", headers=couple.first.headers),
        ]
    for response in responses:
        body = assert_problem(response, 503)
        assert body["type"] == "urn:toward:problem:database-unavailable"
        assert response.headers["retry-after"] == "1"
