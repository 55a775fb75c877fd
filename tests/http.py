"""A client that holds the API to its own OpenAPI document, and the problem details
every error answer must be."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from api.core.errors import path_pattern


def _documented_statuses(app: FastAPI) -> dict[tuple[str, str], set[str]]:
    spec = app.openapi()
    return {
        (path, method.upper()): set(operation["responses"])
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }


def _route_of(app: FastAPI, method: str, path: str) -> str | None:
    """The OpenAPI path of the operation that serves this request; a path made only of
    literal segments wins over a template (`/couples/join` over `/couples/{couple_id}`)."""
    matches = [
        template
        for template, methods in app.openapi()["paths"].items()
        if method.lower() in methods and path_pattern(template).match(path)
    ]
    return min(matches, key=lambda template: template.count("{"), default=None)


@asynccontextmanager
async def client_from(app: FastAPI, address: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    """A client calling from `address`, which fails the test when the API answers with
    a status its own OpenAPI document does not list for that operation."""
    documented = _documented_statuses(app)

    async def check_documented(response: httpx.Response) -> None:
        method = response.request.method
        route = _route_of(app, method, response.request.url.path)
        if route is None or (route, method) not in documented:
            return
        if str(response.status_code) not in documented[(route, method)]:
            raise AssertionError(
                f"{method} {route} answered {response.status_code}, "
                f"which its OpenAPI responses do not list"
            )

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        event_hooks={"response": [check_documented]},
    ) as http:
        yield http


def assert_problem(
    response: httpx.Response, status: int, field: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    if field is not None:
        fields = [error["field"] for error in body["errors"]]
        assert field in fields, fields
    return body


def varies_on(response: httpx.Response) -> set[str]:
    """The request headers, lowercased, that the response says it varies on."""
    names = response.headers.get("vary", "").split(",")
    return {name.strip().lower() for name in names if name.strip()}
