"""Fixtures of the simulation tests."""

import pytest

from tests.clock import Clock


@pytest.fixture
def clock(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The suite's clock, moving the trends' idea of now too: a simulated couple is read
    as of the end of its span, its current week the last of the window."""
    monkeypatch.setattr("api.trends.service.utcnow", clock)
    return clock
