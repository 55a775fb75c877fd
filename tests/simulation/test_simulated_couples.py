"""The summary rules on simulated couples read through the API: each named profile
gets the reading its pattern calls for, over several seeds. The window is the
simulated half year, so that a change over months is what the direction judges."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from simulation.seed import SeededCouple
from simulation.simulator import simulate
from tests.factories import seed_and_log_in

END = datetime(2025, 3, 15, 21, 0, tzinfo=UTC)
SEEDS = [1, 2, 3]
WEEKS = 26


async def seeded_summary(
    client: httpx.AsyncClient, conn: AsyncConnection, profile: str, seed: int
) -> tuple[SeededCouple, dict[str, Any]]:
    simulated = simulate(profile, seed=seed, end=END, weeks=WEEKS)
    seeded, partners = await seed_and_log_in(client, conn, simulated, f"{profile}-{seed}")
    read = await client.get(
        f"/api/v1/couples/{seeded.couple_id}/trends/weekly",
        params={"weeks": WEEKS, "end": END.date().isoformat()},
        headers=partners[1],
    )
    assert read.status_code == 200, read.text
    return seeded, read.json()["summary"]


@pytest.mark.parametrize("seed", SEEDS)
async def test_masters_get_no_flags_and_do_not_decline(
    client: httpx.AsyncClient, conn: AsyncConnection, seed: int
) -> None:
    _, summary = await seeded_summary(client, conn, "masters", seed)
    assert summary["flags"] == []
    assert summary["direction"] != "declining"
    assert summary["pursuer_distancer"] is None
    assert summary["turn_toward_rate_4w"] > 0.75


@pytest.mark.parametrize("seed", SEEDS)
async def test_disasters_turn_toward_little_week_after_week(
    client: httpx.AsyncClient, conn: AsyncConnection, seed: int
) -> None:
    _, summary = await seeded_summary(client, conn, "disasters", seed)
    assert "turn-toward-low" in [flag["code"] for flag in summary["flags"]]
    assert summary["turn_toward_rate_4w"] < 0.5


@pytest.mark.parametrize("seed", SEEDS)
async def test_the_pursuer_and_the_distancer_are_named(
    client: httpx.AsyncClient, conn: AsyncConnection, seed: int
) -> None:
    seeded, summary = await seeded_summary(client, conn, "pursuer_distancer", seed)
    pursuer, distancer = (str(partner) for partner in seeded.partner_ids)
    pattern = summary["pursuer_distancer"]
    assert pattern is not None
    assert (pattern["pursuer_id"], pattern["distancer_id"]) == (pursuer, distancer)
    assert pattern["bid_share"] >= 2 / 3
    assert pattern["distancer_turn_toward_rate"] < 0.5
    assert "pursuer-distancer" in [flag["code"] for flag in summary["flags"]]


@pytest.mark.parametrize("seed", SEEDS)
async def test_drifting_is_declining(
    client: httpx.AsyncClient, conn: AsyncConnection, seed: int
) -> None:
    _, summary = await seeded_summary(client, conn, "drifting", seed)
    assert summary["direction"] == "declining"
    assert summary["turn_toward_change"] <= -0.1


@pytest.mark.parametrize("seed", SEEDS)
async def test_recovering_is_improving(
    client: httpx.AsyncClient, conn: AsyncConnection, seed: int
) -> None:
    _, summary = await seeded_summary(client, conn, "recovering", seed)
    assert summary["direction"] == "improving"
    assert summary["turn_toward_change"] >= 0.1
