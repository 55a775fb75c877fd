"""The digest of each simulated profile, read by each partner for the last whole week
of its span: every sentence tells the figure it names, as the trends read of that
week holds it."""

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from simulation.simulator import PROFILES, simulate
from tests.clock import Clock
from tests.digest.helpers import assert_every_sentence_tells_its_figure
from tests.factories import Couple, Person, seed_and_log_in

END = datetime(2025, 3, 15, 21, 0, tzinfo=UTC)


@pytest.fixture
def clock(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The simulation tests' clock, moving the digest's default week too."""
    monkeypatch.setattr("api.digest.service.utcnow", clock)
    return clock


@pytest.mark.parametrize("profile", list(PROFILES))
async def test_each_profiles_digest_tells_its_figures(
    client: httpx.AsyncClient, conn: AsyncConnection, clock: Clock, profile: str
) -> None:
    simulated = simulate(profile, seed=7, end=END, weeks=10)
    clock.now = END
    seeded, logins = await seed_and_log_in(client, conn, simulated, f"digest-{profile}")
    ana, ben = (
        Person({"id": str(partner_id)}, {"access_token": headers["Authorization"].split()[1]})
        for partner_id, headers in zip(seeded.partner_ids, logins, strict=True)
    )
    couple = Couple({"id": str(seeded.couple_id)}, ana, ben)
    told: list[tuple[str, str]] = []
    for person in (ana, ben):
        told += await assert_every_sentence_tells_its_figure(client, couple, person)
    figures = {figure for figure, _ in told}
    # A simulated week holds bids, check-ins and shared time: each is told.
    assert "bids" in figures or any(figure.startswith("by_partner.") for figure in figures)
    assert any(figure.startswith("checkins.") for figure in figures), told
