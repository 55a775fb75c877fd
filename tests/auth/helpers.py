"""Calls to the `/auth` endpoints and what their answers must hold, shared by the auth
tests."""

import uuid
from typing import Any

import httpx

from api.core.settings import Settings
from tests.factories import PASSWORD

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"


def new_email() -> str:
    return f"kim-{uuid.uuid4().hex[:8]}@example.org"


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post(LOGIN, json={"email": email, "password": password})


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": refresh_token})


async def me(client: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await client.get(ME, headers={"Authorization": f"Bearer {access_token}"})


def assert_token_pair(response: httpx.Response, settings: Settings) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    pair = response.json()
    fields = {"access_token", "refresh_token", "token_type", "expires_in"}
    if response.request.url.path == LOGIN:
        fields.add("device_token")
    assert set(pair) == fields
    assert pair["token_type"] == "bearer"
    assert 0 < pair["expires_in"] <= 15 * 60
    assert pair["expires_in"] == settings.access_token_minutes * 60
    assert pair["access_token"] and pair["refresh_token"]
    assert pair["access_token"] != pair["refresh_token"]
    return pair
