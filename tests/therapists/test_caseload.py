"""The therapist's caseload: which couples, ranked how, paged, logged, and read in a
fixed number of statements however many couples it holds."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

import models.couple
from api.therapists.ranking import CaseloadMemory
from models.base import utcnow
from simulation.seed import SeededCouple
from simulation.simulator import simulate
from tests.factories import Couple, Person, make_couple, register, seed_and_log_in
from tests.http import assert_problem
from tests.therapists.helpers import CASELOAD, answer, grant_both, new_therapist

FIGURES = ("bids", "toward", "away", "against", "pending", "deposits", "withdrawals", "net")


async def seed_granted(
    client: httpx.AsyncClient,
    conn: AsyncConnection,
    therapist: Person,
    profile: str,
    seed: int,
    weeks: int = 16,
) -> tuple[SeededCouple, str]:
    """A simulated couple up to now whose partners both granted the therapist, which
    accepted it; and a token of its first partner."""
    simulated = simulate(profile, seed=seed, end=utcnow() - timedelta(hours=1), weeks=weeks)
    tag = f"{profile}-{uuid.uuid4().hex[:8]}"
    seeded, partners = await seed_and_log_in(client, conn, simulated, tag)
    for headers in partners:
        granted = await client.post(
            f"/api/v1/couples/{seeded.couple_id}/therapists",
            json={"email": therapist.user["email"]},
            headers=headers,
        )
        assert granted.status_code == 201, granted.text
    accepted = await answer(client, str(seeded.couple_id), therapist, "accept")
    assert accepted.status_code == 200, accepted.text
    return seeded, partners[0]["Authorization"].removeprefix("Bearer ")


async def caseload(client: httpx.AsyncClient, therapist: Person, **params: Any) -> dict[str, Any]:
    response = await client.get(CASELOAD, params=params, headers=therapist.headers)
    assert response.status_code == 200, response.text
    return response.json()


def summed(weeks: list[dict[str, Any]]) -> dict[str, int]:
    return {name: sum(week[name] for week in weeks) for name in FIGURES}


async def test_the_caseload_ranks_the_couples_who_need_attention_first(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    therapist = await new_therapist(client)
    couples = {
        profile: await seed_granted(client, conn, therapist, profile, seed=1)
        for profile in ("masters", "disasters", "pursuer_distancer")
    }
    items = (await caseload(client, therapist))["items"]
    order = {item["couple_id"]: item for item in items}
    ids = {profile: str(seeded.couple_id) for profile, (seeded, _) in couples.items()}
    # Both troubled couples outrank the masters; which of them comes first depends on
    # the weeks of their simulated year that the last four happen to be.
    assert [item["couple_id"] for item in items][-1] == ids["masters"]
    assert [item["risk"] for item in items] == sorted(
        (item["risk"] for item in items), reverse=True
    )
    masters = order[ids["masters"]]
    assert masters["flags"] == []
    assert masters["risk"] < 10
    for troubled in ("disasters", "pursuer_distancer"):
        factors = {factor["code"] for factor in order[ids[troubled]]["risk_factors"]}
        assert "turn-toward-level" in factors
        assert order[ids[troubled]]["risk"] >= 25
    pursuit = order[ids["pursuer_distancer"]]["pursuer_distancer"]
    assert pursuit is not None
    assert pursuit["pursuer_id"] in {
        str(partner) for partner in couples["pursuer_distancer"][0].partner_ids
    }
    for item in items:
        assert item["risk"] == sum(factor["points"] for factor in item["risk_factors"])
        assert 0 <= item["risk"] <= 100
        assert [partner["display_name"] for partner in item["partners"]] == ["Ana", "Ben"]


async def test_each_entry_agrees_with_the_couples_own_trends(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    """Flags and direction as the default trends read gives them; last week and the
    last four as the weekly figures add up."""
    therapist = await new_therapist(client)
    seeded = [
        await seed_granted(client, conn, therapist, profile, seed=2)
        for profile in ("disasters", "drifting", "recovering")
    ]
    items = {item["couple_id"]: item for item in (await caseload(client, therapist))["items"]}
    for couple, _ in seeded:
        # The therapist's own read: like the caseload, it counts every check-in (a
        # partner counts the other's only for dates they checked in too).
        trends = await client.get(
            f"/api/v1/therapist/couples/{couple.couple_id}/trends/weekly",
            headers=therapist.headers,
        )
        weeks, summary = trends.json()["weeks"], trends.json()["summary"]
        item = items[str(couple.couple_id)]
        assert item["flags"] == summary["flags"]
        assert item["direction"] == summary["direction"]
        assert item["turn_toward_change"] == summary["turn_toward_change"]
        assert item["pursuer_distancer"] == summary["pursuer_distancer"]
        last_week, last_4 = item["last_week"], item["last_4_weeks"]
        assert last_week["first_week"] == last_week["last_week"] == weeks[-2]["week_start"]
        assert last_4["first_week"] == weeks[-5]["week_start"]
        assert last_4["last_week"] == weeks[-2]["week_start"]
        assert {name: last_week[name] for name in FIGURES} == summed(weeks[-2:-1])
        assert {name: last_4[name] for name in FIGURES} == summed(weeks[-5:-1])
        assert item["last_activity_on"] is not None
        assert item["turn_toward_rate_4w"] == summary["turn_toward_rate_4w"]


async def test_a_quiet_couple_is_flagged_and_ranked_by_it(
    client: httpx.AsyncClient, conn: AsyncConnection, couple: Couple
) -> None:
    therapist = await new_therapist(client)
    await grant_both(client, couple, therapist)
    # A couple that began weeks ago and has logged nothing since.
    couples: sa.Table = models.couple.Couple.__table__  # type: ignore[attr-defined]
    await conn.execute(
        sa.update(couples)
        .where(couples.c.id == uuid.UUID(couple.id))
        .values(created_at=utcnow() - timedelta(days=30))
    )
    (item,) = (await caseload(client, therapist))["items"]
    assert [flag["code"] for flag in item["flags"]] == ["not-logging"]
    assert item["risk_factors"] == [{"code": "not-logging", "points": 10}]
    assert item["last_activity_on"] is None
    assert item["last_week"]["bids"] == 0
    assert item["last_week"]["turn_toward_rate"] is None


async def test_the_caseload_pages_by_risk_without_repeats(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    therapist = await new_therapist(client)
    for seed, profile in enumerate(("masters", "disasters", "drifting", "masters", "recovering")):
        await seed_granted(client, conn, therapist, profile, seed=seed, weeks=8)
    everything = (await caseload(client, therapist))["items"]
    assert len(everything) == 5
    seen: list[Any] = []
    cursor = None
    while True:
        page = await caseload(client, therapist, limit=2, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 2
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [item["couple_id"] for item in seen] == [item["couple_id"] for item in everything]
    ranks = [(-item["risk"], item["couple_id"]) for item in seen]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "WyJ4IiwieSJd"}, "cursor"),  # a list, but not a position
    ],
)
async def test_bad_paging_is_a_422(
    client: httpx.AsyncClient, therapist: Person, params: dict[str, Any], field: str
) -> None:
    response = await client.get(CASELOAD, params=params, headers=therapist.headers)
    assert_problem(response, 422, field)


async def test_only_the_couples_on_the_page_are_logged(
    client: httpx.AsyncClient, therapist: Person
) -> None:
    couples = [await make_couple(client) for _ in range(3)]
    for couple in couples:
        await grant_both(client, couple, therapist)
    page = await caseload(client, therapist, limit=2)
    shown = {item["couple_id"] for item in page["items"]}
    ids = set()
    for couple in couples:
        log = await client.get(f"{couple.path}/access-log", headers=couple.first.headers)
        entries = log.json()["items"]
        assert len(entries) == (1 if couple.id in shown else 0)
        if entries:
            assert entries[0]["endpoint"] == "GET /api/v1/therapist/couples"
            assert entries[0]["therapist_id"] == therapist.id
            ids.add(uuid.UUID(entries[0]["id"]))
    # Each entry's id its own, a version 4 UUID, on either engine.
    assert len(ids) == 2 and {each.version for each in ids} == {4}


async def test_an_empty_caseload(client: httpx.AsyncClient, therapist: Person) -> None:
    assert await caseload(client, therapist) == {"items": [], "next_cursor": None}


class _SeenPool:
    """The app's asyncpg pool, unchanged, but for a note of each statement it runs."""

    def __init__(self, pool: Any, seen: list[str]) -> None:
        self.pool = pool
        self.seen = seen

    async def fetch(self, query: str, *arguments: Any, **options: Any) -> Any:
        self.seen.append(query)
        return await self.pool.fetch(query, *arguments, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)


_CONTROL = ("ROLLBACK", "BEGIN", "COMMIT")


@asynccontextmanager
async def statements_run(app: FastAPI) -> AsyncIterator[list[str]]:
    """Every statement the app sends, through SQLAlchemy or on the driver's pool
    directly, but for transaction control."""
    database = app.state.database
    seen: list[str] = []

    def on_execute(*args: Any) -> None:
        seen.append(args[2])

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    pool = database.driver_pool
    batchers = list(database._batchers.values())
    if pool is not None:
        database.driver_pool = _SeenPool(pool, seen)
        for batcher in batchers:
            batcher.pool = database.driver_pool
    found: list[str] = []
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        if pool is not None:
            database.driver_pool = pool
            for batcher in batchers:
                batcher.pool = pool
        found.extend(
            statement for statement in seen if not statement.lstrip().upper().startswith(_CONTROL)
        )


async def add_couples(client: httpx.AsyncClient, therapist: Person, count: int) -> list[Couple]:
    couples = []
    for _ in range(count):
        couple = await make_couple(client)
        await grant_both(client, couple, therapist)
        await client.post(
            couple.bids, json={"kind": "play", "response": "toward"}, headers=couple.first.headers
        )
        couples.append(couple)
    return couples


async def test_the_caseload_is_read_in_a_fixed_number_of_statements(
    client: httpx.AsyncClient, app: FastAPI, therapist: Person
) -> None:
    async def count_statements() -> tuple[int, list[str]]:
        # Nothing remembered: every couple's weeks are read.
        app.state.caseload_memory = CaseloadMemory(app.state.change_clock, 100)
        async with statements_run(app) as statements:
            items = (await caseload(client, therapist))["items"]
        return len(items), statements

    await add_couples(client, therapist, 1)
    few, first = await count_statements()
    await add_couples(client, therapist, 5)
    many, second = await count_statements()
    assert (few, many) == (1, 6)
    # The couples, their weeks, their latest shared activity, and the access log's
    # entries for the page.
    assert len(first) == len(second) == 4, (first, second)


async def test_paging_reads_the_weeks_again_only_for_couples_that_changed(
    client: httpx.AsyncClient, app: FastAPI, therapist: Person
) -> None:
    # Listening (PostgreSQL), a worker holds the whole ranking; else it reads the
    # couples again (tests/therapists/test_caseload_memory.py).
    listening = app.state.database.engine.dialect.name == "postgresql"
    if listening:
        await asyncio.wait_for(app.state.notices.listening.wait(), 10)
    couples = await add_couples(client, therapist, 3)
    before = {item["couple_id"]: item for item in (await caseload(client, therapist))["items"]}
    async with statements_run(app) as unchanged:
        again = {item["couple_id"]: item for item in (await caseload(client, therapist))["items"]}
    assert again == before
    # The access log, and the couples unless held.
    assert len(unchanged) == (1 if listening else 2), unchanged
    changed = couples[1]
    week_ago = (utcnow() - timedelta(days=7)).isoformat()
    logged = await client.post(
        changed.bids,
        json={"kind": "humor", "response": "away", "occurred_at": week_ago},
        headers=changed.first.headers,
    )
    assert logged.status_code == 201, logged.text
    async with statements_run(app) as after_a_bid:
        now = {item["couple_id"]: item for item in (await caseload(client, therapist))["items"]}
    assert len(after_a_bid) == 4, after_a_bid
    # Never stale: last week's new bid is in the couple's figures at once.
    assert now[changed.id]["last_week"]["bids"] == before[changed.id]["last_week"]["bids"] + 1
    assert now[changed.id]["last_week"]["away"] == before[changed.id]["last_week"]["away"] + 1
    for couple in couples:
        if couple is not changed:
            assert now[couple.id] == before[couple.id]


async def test_a_partner_of_a_listed_couple_cannot_see_the_caseload(
    client: httpx.AsyncClient, couple: Couple, therapist: Person
) -> None:
    await grant_both(client, couple, therapist)
    assert_problem(await client.get(CASELOAD, headers=couple.first.headers), 403)
    other = await register(client, "Lee", account_type="therapist")
    assert (await caseload(client, other))["items"] == []
