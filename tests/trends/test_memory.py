"""A read after a write computes only the weeks the write changed (api/trends/memory.py):
whatever the write, the answer is the one a computation of every week gives, byte for
byte, for either partner; and concurrent reads of one version compute once."""

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.trends import service
from api.trends.memory import TrendsCache, trends_body, week_json
from models import figures
from tests.activities.helpers import log_activity, second
from tests.bids.helpers import T0, iso, log_bid, patch_bid, perceive
from tests.checkins.helpers import body_of, put
from tests.factories import Couple

WEEKS = 10
# The window's last week holds END; its first is nine weeks before.
END = (T0 + timedelta(weeks=12)).date()
PARAMS = {"weeks": WEEKS, "end": END.isoformat()}
LAST_WEEK = T0 + timedelta(weeks=12)
FIRST_WEEK = T0 + timedelta(weeks=3)
BEFORE_WINDOW = T0


@pytest.fixture
def computed_weeks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many weeks each computation builds figures for."""
    built: list[int] = []
    week_figures = figures.week_figures

    def counted(weeks: Sequence[date], *args: Any, **kwargs: Any) -> Any:
        built.append(len(weeks))
        return week_figures(weeks, *args, **kwargs)

    monkeypatch.setattr(figures, "week_figures", counted)
    return built


async def _fresh(app: FastAPI, couple: Couple, reader: uuid.UUID) -> bytes:
    """The answer computed with nothing remembered."""
    computed, _ = await service.weekly_trends(
        app.state.database,
        TrendsCache(0),
        uuid.UUID(couple.id),
        reader,
        weeks=WEEKS,
        end=END,
    )
    return computed.body


async def _check_both(app: FastAPI, client: httpx.AsyncClient, couple: Couple) -> None:
    for person in (couple.first, second(couple)):
        served = await client.get(
            f"{couple.path}/trends/weekly", params=PARAMS, headers=person.headers
        )
        assert served.status_code == 200, served.text
        assert served.content == await _fresh(app, couple, uuid.UUID(person.id))


async def test_each_write_is_read_as_a_whole_computation_reads_it(
    app: FastAPI, client: httpx.AsyncClient, couple: Couple, computed_weeks: list[int]
) -> None:
    ben = second(couple)
    await _check_both(app, client, couple)
    early = await log_bid(client, couple, occurred_at=iso(FIRST_WEEK), response="toward")
    writes: list[Callable[[], Awaitable[Any]]] = [
        lambda: log_bid(client, couple, occurred_at=iso(LAST_WEEK), response="toward"),
        lambda: log_bid(client, couple, ben, occurred_at=iso(LAST_WEEK), response="against"),
        lambda: log_bid(client, couple, occurred_at=iso(FIRST_WEEK), response="away"),
        lambda: log_bid(client, couple, occurred_at=iso(BEFORE_WINDOW), response="toward"),
        lambda: perceive(client, couple, early["id"], ben, "against"),
        lambda: patch_bid(client, couple, early["id"], {"occurred_at": iso(LAST_WEEK)}),
        lambda: client.delete(f"{couple.bids}/{early['id']}", headers=couple.first.headers),
        # Check-ins: one partner's is seen by the other only once both checked in.
        lambda: put(client, couple, couple.first, LAST_WEEK.date(), body_of(stress=9)),
        lambda: put(client, couple, ben, LAST_WEEK.date(), body_of(connection=2)),
        lambda: log_activity(client, couple, occurred_at=iso(LAST_WEEK), kind="date_night"),
        lambda: client.patch(
            couple.path, json={"weights": {"toward": 2}}, headers=couple.first.headers
        ),
        lambda: log_bid(client, couple, occurred_at=iso(LAST_WEEK), response="toward"),
        # A new calendar: the weeks are read again in it, not in the one read before.
        lambda: client.patch(
            couple.path, json={"timezone": "Pacific/Kiritimati"}, headers=couple.first.headers
        ),
        lambda: client.patch(
            couple.path, json={"week_starts": "sunday"}, headers=couple.first.headers
        ),
        lambda: log_bid(client, couple, occurred_at=iso(LAST_WEEK), response="against"),
    ]
    for write in writes:
        answer = await write()
        if isinstance(answer, httpx.Response):
            assert answer.status_code < 300, answer.text
        await _check_both(app, client, couple)

    # A bid of the last week: one week built again, not the window.
    computed_weeks.clear()
    await log_bid(client, couple, occurred_at=iso(LAST_WEEK), response="away")
    served = await client.get(
        f"{couple.path}/trends/weekly", params=PARAMS, headers=couple.first.headers
    )
    assert served.json()["weeks"][-1]["away"] == 1
    assert computed_weeks == [1]


async def test_concurrent_reads_of_one_version_compute_once(
    app: FastAPI, client: httpx.AsyncClient, couple: Couple, computed_weeks: list[int]
) -> None:
    await log_bid(client, couple, occurred_at=iso(LAST_WEEK), response="toward")

    answers = await asyncio.gather(
        *(
            client.get(f"{couple.path}/trends/weekly", params=PARAMS, headers=couple.first.headers)
            for _ in range(6)
        )
    )

    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
    assert len(computed_weeks) == 1


async def test_with_no_memory_each_read_computes_every_week(
    app: FastAPI, client: httpx.AsyncClient, couple: Couple, computed_weeks: list[int]
) -> None:
    app.state.trends_cache = TrendsCache(0)
    await log_bid(client, couple, occurred_at=iso(LAST_WEEK), response="toward")

    for _ in range(2):
        read = await client.get(
            f"{couple.path}/trends/weekly", params=PARAMS, headers=couple.first.headers
        )
        assert read.status_code == 200

    assert computed_weeks == [WEEKS, WEEKS]


async def test_the_body_from_each_weeks_json_is_the_models_json(
    app: FastAPI, client: httpx.AsyncClient, couple: Couple
) -> None:
    await log_bid(client, couple, occurred_at=iso(FIRST_WEEK), response="toward")
    await log_bid(client, couple, second(couple), occurred_at=iso(LAST_WEEK))
    computed, _ = await service.weekly_trends(
        app.state.database,
        TrendsCache(0),
        uuid.UUID(couple.id),
        uuid.UUID(couple.first.id),
        weeks=WEEKS,
        end=END,
    )
    trends = computed.trends

    weeks = [week_json(week) for week in trends.weeks]
    built, spans = trends_body(trends, weeks)

    assert built == trends.model_dump_json().encode()
    assert None not in spans
    assert [built[span[0] : span[1]] for span in spans if span is not None] == weeks


async def test_the_weeks_rows_read_by_position_are_the_rows_read_by_name(
    app: FastAPI, client: httpx.AsyncClient, couple: Couple
) -> None:
    """asyncpg's records are read by position (a third of the time by name): the
    positions are those of the statement's columns."""
    await log_bid(client, couple, occurred_at=iso(LAST_WEEK), response="toward")
    await log_activity(client, couple, occurred_at=iso(LAST_WEEK))
    read = [week.date() for week in (FIRST_WEEK, LAST_WEEK)]
    postgresql = app.state.database.driver_pool is not None
    statements = [service._WEEKS_PG, service._WEEKS_SINCE] if postgresql else [service._WEEKS]
    for statement in statements:
        rows = await app.state.database.fetch(
            statement,
            couple_id=uuid.UUID(couple.id),
            first_week=read[0] - timedelta(weeks=1),
            last_week=read[1] + timedelta(weeks=1),
            until=LAST_WEEK + timedelta(weeks=1),
            viewer=uuid.UUID(couple.first.id),
            # Written since: the snapshot of a read before the writes.
            since="1:1:",
        )
        by_name = [service._RAW_BY_NAME(dict(row.items())) for row in rows]

        sources = {"couple", "member", "bids", "activities"}
        assert {row[0] for row in by_name} == sources | (
            {"written"} if statement is service._WEEKS_SINCE else set()
        )
        if postgresql:
            assert [service._RAW_BY_POSITION(row) for row in rows] == by_name


async def test_a_snapshot_further_on_than_the_database_reads_every_week(
    app: FastAPI, client: httpx.AsyncClient, couple: Couple
) -> None:
    """A worker's snapshot of another history (a database restored, or switched over to
    one whose transaction ids are lower) names no week as written since: every week is
    read again."""
    if app.state.database.driver_pool is None:
        pytest.skip("SQLite has no snapshots: every week is read each time")
    await _check_both(app, client, couple)
    bases = app.state.trends_cache.bases
    for key, basis in list(bases._entries.items()):
        bases.put(key, dataclasses.replace(basis, snapshot=f"{10**12}:{10**12}:"))

    await log_bid(client, couple, occurred_at=iso(FIRST_WEEK), response="away")

    await _check_both(app, client, couple)
