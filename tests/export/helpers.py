"""Calls to `GET /me/export`, through httpx (the whole answer) or straight through the
app's ASGI interface (each piece as the app sends it), and the list endpoints' pages
an export is compared with."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Person

EXPORT = "/api/v1/me/export"
TOP_LEVEL = ["schema_version", "exported_at", "account", "couples", "grants_received"]
COUPLE_KEYS = ["couple", "bids", "checkins", "activities", "grants", "access_log"]


async def export_of(client: httpx.AsyncClient, person: Person) -> dict[str, Any]:
    response = await client.get(EXPORT, headers=person.headers)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


async def every_page(client: httpx.AsyncClient, path: str, person: Person) -> list[Any]:
    """Every item of a paged list, following `next_cursor`."""
    items: list[Any] = []
    params: dict[str, Any] = {"limit": 200}
    while True:
        response = await client.get(path, params=params, headers=person.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


@dataclass
class Streamed:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    pieces: int = 0
    # Whether the app sent the body's last message: a stream cut off ends without it.
    whole: bool = False


async def stream_export(
    app: FastAPI,
    headers: dict[str, str],
    on_piece: Callable[[bytes], Awaitable[None]] | None = None,
) -> Streamed:
    """`GET /me/export` called as uvicorn calls the app, each piece of the body handed
    to `on_piece` as the app sends it (httpx's ASGI transport gathers the whole body
    before it answers). A slow `on_piece` is a client that reads slowly."""
    streamed = Streamed()
    ended = asyncio.Event()
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await ended.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            streamed.status = message["status"]
            streamed.headers = {
                name.decode().lower(): value.decode() for name, value in message["headers"]
            }
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            if body:
                streamed.pieces += 1
                if on_piece is not None:
                    await on_piece(body)
            if not message.get("more_body", False):
                streamed.whole = True
                ended.set()

    authorization = headers["Authorization"].encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": EXPORT,
        "raw_path": EXPORT.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"authorization", authorization)],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 40000),
    }
    try:
        await app(scope, receive, send)
    finally:
        ended.set()
    return streamed
