"""Fixtures of the therapist tests."""

import httpx
import pytest

from tests.factories import Person
from tests.therapists.helpers import new_therapist


@pytest.fixture
async def therapist(client: httpx.AsyncClient) -> Person:
    return await new_therapist(client)
