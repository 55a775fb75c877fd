"""The write batcher under a slow database (PostgreSQL): a bounded queue, a bounded
wait, and a bid stored once or not at all however the client retries.

The database is made slow for real: another connection holds a couple's row
`FOR UPDATE`, so a bid insert for that couple waits (its foreign key and the rollup
trigger both lock the couple's row to share it)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from api.bids.service import _INSERT
from api.core.db import Database
from api.core.settings import Settings, get_settings
from api.core.sql import MAYBE_STORED, NOT_SENT, Batcher, Overloaded
from api.main import create_app
from models.base import utcnow
from tests.factories import make_couple, new_address, partner_ids_of_a_new_couple

# Not a measure of anything: only what turns a hung request into a failed test.
HANG = 30.0

_WAITING_ON_LOCKS = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def _postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgres"):
        pytest.skip("the batcher is the PostgreSQL write path")


@asynccontextmanager
async def _live_app(
    database_url: str, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """A client of the app with its own lifespan and pools, built with these settings
    (validated like any others); and the app."""
    settings = Settings(
        **{**get_settings().model_dump(), "database_url": database_url, **overrides}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(new_address(), 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://live") as client:
            yield client, app


@asynccontextmanager
async def _admin(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


@asynccontextmanager
async def _couple_locked(database_url: str, couple_id: uuid.UUID | str) -> AsyncIterator[None]:
    """Until the block ends, a bid insert for this couple waits."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("BEGIN")
        await conn.execute(
            "SELECT id FROM couples WHERE id = $1 FOR UPDATE", uuid.UUID(str(couple_id))
        )
        yield
    finally:
        await conn.close()  # rolled back


async def _blocked(admin: asyncpg.Connection, count: int) -> None:
    """Until `count` statements wait on a lock: as many flushers are stuck. Polled:
    the server tells no one when a statement starts waiting."""
    while True:
        if await admin.fetchval(_WAITING_ON_LOCKS) >= count:
            return
        await asyncio.sleep(0.01)


async def _queued(app: FastAPI, count: int) -> None:
    """Until `count` rows wait in the bid write's batcher, not yet sent. Polled, as
    `_blocked` is."""
    (batcher,) = app.state.database._batchers.values()
    while True:
        if len(batcher.pending) >= count:
            return
        await asyncio.sleep(0.01)


async def _stored(admin: asyncpg.Connection, ids: list[Any]) -> dict[str, int]:
    """How many bids each id has, for the ids that have any."""
    rows = await admin.fetch(
        "SELECT id, count(*) AS n FROM bids WHERE id = ANY($1::uuid[]) GROUP BY id",
        [uuid.UUID(str(id_)) for id_ in ids],
    )
    return {str(row["id"]): row["n"] for row in rows}


def _assert_busy(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "urn:toward:problem:busy"


def _bodies(count: int) -> list[dict[str, str]]:
    return [{"id": str(uuid.uuid4()), "kind": "humor"} for _ in range(count)]


def test_the_bid_create_documents_its_503() -> None:
    spec = create_app().openapi()
    assert "503" in spec["paths"]["/api/v1/couples/{couple_id}/bids"]["post"]["responses"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("write_queue_limit", 0), ("write_timeout_seconds", 0), ("write_timeout_seconds", 3600)],
)
def test_the_write_settings_are_bounded(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(**{field: value})


async def test_past_the_write_timeout_bids_get_503_and_retries_store_each_once(
    database_url: str,
) -> None:
    _postgresql_only(database_url)
    async with (
        _live_app(database_url, write_timeout_seconds=1.0) as (client, app),
        _admin(database_url) as admin,
    ):
        couple, other = await make_couple(client), await make_couple(client)
        bodies = _bodies(2)

        def post(body: dict[str, str]) -> "asyncio.Task[httpx.Response]":
            return asyncio.create_task(
                client.post(couple.bids, json=body, headers=couple.first.headers)
            )

        async with asyncio.timeout(HANG):
            async with _couple_locked(database_url, couple.id):
                first = post(bodies[0])
                await _blocked(admin, 1)
                # The couple's batch is stuck on the lock: its next row waits for it,
                # not sent, while another couple's goes at once.
                second = post(bodies[1])
                await _queued(app, 1)
                elsewhere = await client.post(
                    other.bids, json={"kind": "play"}, headers=other.first.headers
                )
                assert elsewhere.status_code == 201, elsewhere.text
                assert not second.done()
                assert await admin.fetchval(_WAITING_ON_LOCKS) == 1
                _assert_busy(await first)
                _assert_busy(await second)
            retries = [
                await client.post(couple.bids, json=body, headers=couple.first.headers)
                for body in bodies
            ]
        assert {retry.status_code for retry in retries} <= {200, 201}, retries
        assert await _stored(admin, [body["id"] for body in bodies]) == {
            body["id"]: 1 for body in bodies
        }


async def test_past_the_queue_limit_a_bid_is_refused_at_once_storing_nothing(
    database_url: str,
) -> None:
    _postgresql_only(database_url)
    async with (
        _live_app(database_url, write_queue_limit=2, write_timeout_seconds=60.0) as (client, _),
        _admin(database_url) as admin,
    ):
        couple = await make_couple(client)
        bodies = _bodies(4)

        def post(body: dict[str, str]) -> "asyncio.Task[httpx.Response]":
            return asyncio.create_task(
                client.post(couple.bids, json=body, headers=couple.first.headers)
            )

        async with asyncio.timeout(HANG):
            async with _couple_locked(database_url, couple.id):
                sent = post(bodies[0])
                await _blocked(admin, 1)  # in flight: what comes now for the couple waits
                waiting = [post(body) for body in bodies[1:]]  # one more than the limit
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                [refused] = done  # the others wait on: their timeout is far off
                _assert_busy(refused.result())
                refused_body = bodies[1 + waiting.index(refused)]
                assert await _stored(admin, [refused_body["id"]]) == {}
            answers = [await task for task in [sent, *waiting] if task is not refused]
            assert [answer.status_code for answer in answers] == [201] * 3
            retry = await client.post(couple.bids, json=refused_body, headers=couple.first.headers)
            assert retry.status_code == 201, retry.text
        assert await _stored(admin, [body["id"] for body in bodies]) == {
            body["id"]: 1 for body in bodies
        }
        # The two rows that waited for the couple's batch went in together, after it.
        stamps = {
            str(row["id"]): row["change_seq"]
            for row in await admin.fetch(
                "SELECT id, change_seq FROM bids WHERE id = ANY($1::uuid[])",
                [uuid.UUID(body["id"]) for body in bodies],
            )
        }
        waited = {stamps[body["id"]] for body in bodies[1:] if body is not refused_body}
        assert len(waited) == 1 and waited.pop() > stamps[bodies[0]["id"]]


def _bid_row(couple_id: uuid.UUID, caller_id: uuid.UUID) -> dict[str, Any]:
    now = utcnow()
    return {
        **dict.fromkeys(_INSERT.names),
        "id": uuid.uuid4(),
        "couple_id": couple_id,
        "caller_id": caller_id,
        "bidder_id": caller_id,
        "occurred_at": now,
        "kind": "humor",
        "private": False,
        "repair": False,
        "request_digest": "0" * 64,
        "now": now,
    }


async def test_a_queued_row_whose_request_gave_up_is_never_sent(database_url: str) -> None:
    """A retry of a row still in flight waits for the next batch (a key goes once in a
    batch); with the database slow, it gives up while still queued, and must then be
    taken out, not sent later."""
    _postgresql_only(database_url)
    database = await Database.open(database_url, pool_size=2)
    try:
        assert database.driver_pool is not None
        couple, caller, _ = await partner_ids_of_a_new_couple(database)
        elsewhere, someone, _ = await partner_ids_of_a_new_couple(database)
        batcher = Batcher(database.driver_pool, _INSERT, limit=10, timeout=0.5, flushers=1)
        first = _bid_row(couple, caller)
        try:
            async with asyncio.timeout(HANG), _admin(database_url) as admin:
                async with _couple_locked(database_url, couple):
                    outcomes = await asyncio.gather(
                        batcher.submit(first), batcher.submit(dict(first)), return_exceptions=True
                    )
                    assert [str(outcome) for outcome in outcomes] == [MAYBE_STORED, NOT_SENT]
                    assert all(isinstance(outcome, Overloaded) for outcome in outcomes)
                    assert not batcher.pending
                    # The flusher gave up on the first batch and takes the next one.
                    assert await batcher.submit(_bid_row(elsewhere, someone)) is not None
                # The first batch was cancelled under the lock, the retry never sent.
                assert await _stored(admin, [first["id"]]) == {}
        finally:
            await batcher.close()
    finally:
        await database.close()
