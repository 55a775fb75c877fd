"""Calls to `/me`, and access tokens signed as the API would sign them, shared by the
user tests."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from api.core.settings import Settings
from tests.factories import Person

ME = "/api/v1/me"


def access_token(
    settings: Settings, subject: str, *, minutes: int = 5, key: str | None = None, **claims: Any
) -> str:
    """An access token as the API would sign it, with the given changes."""
    payload = {
        "sub": subject,
        "typ": "access",
        "role": "partner",
        "exp": datetime.now(UTC) + timedelta(minutes=minutes),
        **claims,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, key or settings.secret_key, algorithm="HS256")


async def read_me(client: httpx.AsyncClient, person: Person) -> dict[str, Any]:
    response = await client.get(ME, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()
