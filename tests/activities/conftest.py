"""Fixtures of the activity tests."""

import httpx
import pytest

from tests.factories import Couple, Person, make_couple, register


@pytest.fixture
async def therapist(client: httpx.AsyncClient, couple: Couple) -> Person:
    """A therapist both partners of `couple` granted access to (active at once)."""
    therapist = await register(client, "Kim", account_type="therapist")
    assert couple.second is not None
    for partner in (couple.first, couple.second):
        granted = await client.post(
            f"{couple.path}/therapists",
            json={"email": therapist.user["email"]},
            headers=partner.headers,
        )
        assert granted.status_code == 201, granted.text
    assert granted.json()["status"] == "active", granted.text
    return therapist


@pytest.fixture
async def stranger_couple(client: httpx.AsyncClient) -> Couple:
    """Another couple, both partners joined."""
    return await make_couple(client)
