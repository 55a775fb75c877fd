"""The app as it runs in production: its own lifespan, its own pools (on PostgreSQL
the asyncpg pool that the bid write uses), committing for real to the test database."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.main import create_app
from api.settings import get_settings
from tests.conftest import PASSWORD


@pytest.fixture
async def live_client(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setattr(get_settings(), "database_url", database_url)
    app: FastAPI = create_app()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://live") as client:
            yield client


async def _login(client: httpx.AsyncClient, name: str) -> dict[str, str]:
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.org"
    body = {"email": email, "password": PASSWORD, "display_name": name}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    tokens = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


async def test_bids_are_written_and_replayed_through_the_production_pools(
    live_client: httpx.AsyncClient,
) -> None:
    ana, ben = await _login(live_client, "Ana"), await _login(live_client, "Ben")
    couple = (await live_client.post("/api/v1/couples", json={}, headers=ana)).json()
    code = couple["invite"]["code"]
    assert (
        await live_client.post("/api/v1/couples/join", json={"code": code}, headers=ben)
    ).status_code == 200
    bids = f"/api/v1/couples/{couple['id']}/bids"
    body = {"id": str(uuid.uuid4()), "kind": "humor", "response": "toward"}

    created = await live_client.post(bids, json=body, headers=ana)
    replayed = await live_client.post(bids, json=body, headers=ana)
    clash = await live_client.post(bids, json={**body, "kind": "play"}, headers=ana)
    cy = await _login(live_client, "Cy")
    outsider = await live_client.post(bids, json={"kind": "humor"}, headers=cy)

    assert created.status_code == 201
    ben_id = (await live_client.get("/api/v1/me", headers=ben)).json()["id"]
    assert created.json()["responder_id"] == ben_id
    assert replayed.status_code == 200 and replayed.json() == created.json()
    assert clash.status_code == 409
    assert outsider.status_code == 404
    listed = (await live_client.get(bids, headers=ben)).json()["items"]
    assert [bid["id"] for bid in listed] == [body["id"]]
