"""A worker that listens for changes (PostgreSQL) answers a trends read of a couple it
read before without asking the database again, until it hears of a change of that
couple: a write through itself, at once; a write through another worker or anything
else, when its notice comes. Tested on the path production runs: the app's own
listening connection and its database."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.db import Database
from api.trends import service
from tests.activities.helpers import second
from tests.bids.helpers import T0, iso, log_bid
from tests.factories import Couple, make_couple

WEEK = {"weeks": 1, "end": T0.date().isoformat()}


@pytest.fixture
async def statements(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[str]]:
    """The statements that read the couple's state, in the order the app runs them
    (counted on their way to the database): "state" alone, or "weeks", which reads it
    with the weeks a computation needs ("weeks since": those written since the window's
    last read)."""
    if app.state.database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no LISTEN: a worker reads the couple's state each time")
    await asyncio.wait_for(app.state.notices.listening.wait(), 10)
    run: list[str] = []
    shared = Database.fetch_shared
    names = {
        id(service._STATE): "state",
        id(service._WEEKS_PG): "weeks",
        id(service._WEEKS_SINCE): "weeks since",
    }

    async def counted(database: Database, statement: Any, **values: Any) -> Any:
        run.append(names[id(statement)])
        return await shared(database, statement, **values)

    monkeypatch.setattr(Database, "fetch_shared", counted)
    yield run


async def _heard(app: FastAPI, couple: Couple, since: int) -> None:
    """Until this worker hears of a change of the couple after the mark `since`."""
    for _ in range(500):
        if not app.state.change_clock.unchanged(uuid.UUID(couple.id), since):
            return
        await asyncio.sleep(0.01)


def hold_reads(
    monkeypatch: pytest.MonkeyPatch, statement: Any
) -> tuple[asyncio.Event, asyncio.Event, list[Any]]:
    """Each run of `statement`, once read, held before it is answered until the first
    event is set; the second is set when a run is held; the list has one entry a run."""
    gate, sent, runs = asyncio.Event(), asyncio.Event(), []
    fetch = Database.fetch

    async def held(database: Database, run: Any, **values: Any) -> Any:
        rows = await fetch(database, run, **values)
        if run is statement:
            runs.append(run)
            sent.set()
            await gate.wait()
        return rows

    monkeypatch.setattr(Database, "fetch", held)
    return gate, sent, runs


async def _asked(statements: list[str], count: int) -> None:
    """Until the app has asked for `count` statements: the last one asked has joined a
    read running or waits for its own (the coalescer decides as it is asked)."""
    for _ in range(1000):
        if len(statements) >= count:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"the app asked for {len(statements)} statements, not {count}")


async def toward(client: httpx.AsyncClient, couple: Couple, **headers: str) -> httpx.Response:
    return await client.get(
        f"{couple.path}/trends/weekly",
        params=WEEK,
        headers={**couple.first.headers, **headers},
    )


async def test_an_unchanged_couple_is_read_from_memory(
    client: httpx.AsyncClient, couple: Couple, statements: list[Any]
) -> None:
    first = await toward(client, couple)
    held = await toward(client, couple, **{"If-None-Match": first.headers["etag"]})
    again = await toward(client, couple)

    assert held.status_code == 304
    assert again.json() == first.json()
    assert statements == ["state", "weeks"]


async def test_a_write_through_this_worker_is_read_at_once(
    client: httpx.AsyncClient, couple: Couple, statements: list[Any]
) -> None:
    first = await toward(client, couple)
    await log_bid(client, couple, occurred_at=iso(T0), response="toward")

    after = await toward(client, couple, **{"If-None-Match": first.headers["etag"]})

    assert after.status_code == 200
    assert after.json()["weeks"][-1]["toward"] == 1
    # Computed again: the state read with the weeks written since, in one statement.
    assert statements == ["state", "weeks", "weeks since"]


async def test_a_read_after_a_write_is_refused_to_anyone_else(
    client: httpx.AsyncClient, couple: Couple, statements: list[Any]
) -> None:
    """The state read with the weeks decides who may read, as the state read alone."""
    await toward(client, couple)
    await log_bid(client, couple, occurred_at=iso(T0), response="toward")
    stranger = await make_couple(client)

    refused = await client.get(
        f"{couple.path}/trends/weekly", params=WEEK, headers=stranger.first.headers
    )
    after = await toward(client, couple)

    assert refused.status_code == 404
    assert after.status_code == 200
    # The stranger, whom the state read last does not name, gets the state read alone.
    assert statements == ["state", "weeks", "state", "weeks since"]


async def test_a_write_through_another_worker_is_read_once_heard(
    client: httpx.AsyncClient,
    couple: Couple,
    conn: AsyncConnection,
    app: FastAPI,
    statements: list[Any],
) -> None:
    """A change made outside this worker (here, a connection of the test's own)."""
    await log_bid(client, couple, occurred_at=iso(T0), response="toward")
    first = await toward(client, couple)
    heard = app.state.change_clock.mark()
    await conn.execute(
        sa.text(
            "UPDATE bids SET bidder_response = 'away', version = version + 1"
            " WHERE couple_id = :couple"
        ),
        {"couple": uuid.UUID(couple.id)},
    )
    await _heard(app, couple, heard)

    after = await toward(client, couple, **{"If-None-Match": first.headers["etag"]})

    assert after.status_code == 200
    assert (after.json()["weeks"][-1]["toward"], after.json()["weeks"][-1]["away"]) == (0, 1)


async def test_a_write_that_commits_after_a_read_began_is_read_after_it(
    client: httpx.AsyncClient,
    couple: Couple,
    conn: AsyncConnection,
    app: FastAPI,
    statements: list[Any],
) -> None:
    """A read after a write reads only the weeks written by transactions the window's
    last read did not see: one still running then counts, whatever its place in the
    order of transactions."""
    await log_bid(client, couple, occurred_at=iso(T0), response="toward")
    raw = await conn.get_raw_connection()
    late = raw.driver_connection
    assert late is not None
    transaction = late.transaction()
    await transaction.start()
    await late.execute(
        "UPDATE bids SET bidder_response = 'away', version = version + 1 WHERE couple_id = $1",
        uuid.UUID(couple.id),
    )
    # A transaction that begins later and commits first: the late one is then below
    # the newest the read sees, and still running.
    other = await make_couple(client)
    await log_bid(client, other, occurred_at=iso(T0), response="toward")
    during = await toward(client, couple)
    heard = app.state.change_clock.mark()
    await transaction.commit()
    await _heard(app, couple, heard)

    after = await toward(client, couple)

    assert (during.json()["weeks"][-1]["toward"], during.json()["weeks"][-1]["away"]) == (1, 0)
    assert (after.json()["weeks"][-1]["toward"], after.json()["weeks"][-1]["away"]) == (0, 1)
    assert statements == ["state", "weeks", "weeks since"]


async def test_a_partner_who_just_joined_is_never_refused_from_memory(
    client: httpx.AsyncClient, statements: list[Any]
) -> None:
    waiting = await make_couple(client, joined=False)
    assert (await toward(client, waiting)).status_code == 200
    other = await make_couple(client)
    code = waiting.data["invite"]["code"]
    joined = await client.post(
        "/api/v1/couples/join", json={"code": code}, headers=second(other).headers
    )
    assert joined.status_code == 200

    read = await client.get(
        f"{waiting.path}/trends/weekly", params=WEEK, headers=second(other).headers
    )

    assert read.status_code == 200


async def test_a_lost_connection_trusts_nothing(
    client: httpx.AsyncClient, couple: Couple, app: FastAPI, statements: list[Any]
) -> None:
    await toward(client, couple)
    app.state.change_clock.listening(False)

    await toward(client, couple)
    await toward(client, couple)

    # The state each time, and the same version's trends from memory.
    assert statements == ["state", "weeks", "state", "state"]


async def test_reads_after_a_write_share_the_running_read_until_a_change_is_heard(
    client: httpx.AsyncClient,
    couple: Couple,
    statements: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read that comes while another of the same weeks runs joins it when nothing of
    the couple has been heard since it was sent; after a write heard meanwhile, it waits
    for a read of its own, which holds that write."""
    await toward(client, couple)
    await log_bid(client, couple, occurred_at=iso(T0), response="toward")
    gate, sent, runs = hold_reads(monkeypatch, service._WEEKS_SINCE)
    first = asyncio.create_task(toward(client, couple))
    await asyncio.wait_for(sent.wait(), 10)
    joined = asyncio.create_task(toward(client, couple))
    await _asked(statements, 4)
    gate.set()
    assert [(await read).json()["weeks"][-1]["toward"] for read in (first, joined)] == [1, 1]
    assert statements == ["state", "weeks", "weeks since", "weeks since"]
    assert len(runs) == 1  # the two reads asked, one statement ran

    gate.clear()
    sent.clear()
    await log_bid(client, couple, occurred_at=iso(T0), response="toward")
    running = asyncio.create_task(toward(client, couple))
    await asyncio.wait_for(sent.wait(), 10)
    await log_bid(client, couple, occurred_at=iso(T0), response="toward")
    later = asyncio.create_task(toward(client, couple))
    await _asked(statements, 6)
    gate.set()

    assert (await running).json()["weeks"][-1]["toward"] == 2
    assert (await later).json()["weeks"][-1]["toward"] == 3
    assert len(runs) == 3


async def test_a_read_of_the_state_afresh_never_joins_an_older_read_of_the_weeks(
    client: httpx.AsyncClient,
    couple: Couple,
    app: FastAPI,
    statements: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read that finds nothing of the couple in memory reads its state from the
    database, which holds every write committed before it asked, heard of or not: its
    weeks come from a statement sent after it asked, never from one running before."""
    await log_bid(client, couple, occurred_at=iso(T0), response="toward")
    known = app.state.known_states
    monkeypatch.setattr(known, "get", lambda couple_id: None)
    monkeypatch.setattr(known, "last", lambda couple_id: None)
    gate, sent, _ = hold_reads(monkeypatch, service._WEEKS_PG)
    running = asyncio.create_task(toward(client, couple))
    await asyncio.wait_for(sent.wait(), 10)
    # A write this worker does not hear of, as one through another worker whose notice
    # is still on its way.
    monkeypatch.setattr(app.state.change_clock, "heard", lambda couple_id: None)
    await log_bid(client, couple, occurred_at=iso(T0), response="toward")
    later = asyncio.create_task(toward(client, couple))
    await _asked(statements, 4)
    gate.set()

    assert (await running).json()["weeks"][-1]["toward"] == 1
    assert (await later).json()["weeks"][-1]["toward"] == 2
    assert statements == ["state", "weeks", "state", "weeks"]
