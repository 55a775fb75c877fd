"""Fixtures of the check-in tests."""

import httpx
import pytest

from tests.clock import Clock
from tests.factories import Person
from tests.therapists.helpers import new_therapist


@pytest.fixture
def clock(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The suite's clock, moving the check-ins' idea of now too (the couple's today)."""
    monkeypatch.setattr("api.checkins.service.utcnow", clock)
    return clock


@pytest.fixture
async def therapist(client: httpx.AsyncClient) -> Person:
    return await new_therapist(client)
