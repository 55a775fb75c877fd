"""Fixtures of the activity tests."""

import httpx
import pytest

from tests.factories import Couple, Person, make_couple
from tests.therapists.helpers import grant_both, new_therapist


@pytest.fixture
async def therapist(client: httpx.AsyncClient, couple: Couple) -> Person:
    """A therapist both partners of `couple` granted access to, which accepted it."""
    therapist = await new_therapist(client)
    await grant_both(client, couple, therapist)
    return therapist


@pytest.fixture
async def stranger_couple(client: httpx.AsyncClient) -> Couple:
    """Another couple, both partners joined."""
    return await make_couple(client)
