"""The bounds on exports: one at a time per user (429 `export-running`), so many per
window (429 `too-many-exports`), so many streaming per worker (503 `busy`), each cut
off after `export_seconds`; and whatever way an export ends, the next may start."""

import asyncio
import json
import uuid
from datetime import timedelta

import sqlalchemy as sa

from api.auth.housekeeping import prune
from models.base import utcnow
from models.export import Export
from tests.export.helpers import EXPORT, export_of, stream_export
from tests.factories import Person
from tests.http import assert_problem

_exports: sa.Table = Export.__table__  # type: ignore[attr-defined]


class Held:
    """An export held open after its first piece, as by a client that stopped reading."""

    def __init__(self, app, person: Person) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.body = bytearray()
        self.task = asyncio.create_task(stream_export(app, person.headers, self._piece))

    async def _piece(self, piece: bytes) -> None:
        self.body += piece
        self.started.set()
        await self.release.wait()

    async def __aenter__(self) -> "Held":
        await asyncio.wait_for(self.started.wait(), 10)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.release.set()
        streamed = await self.task
        assert streamed.status == 200
        assert streamed.whole
        json.loads(self.body)  # whole once it is let go


async def test_a_second_export_while_one_streams_is_a_429(app, client, couple):
    async with Held(app, couple.first):
        refused = await client.get(EXPORT, headers=couple.first.headers)
        body = assert_problem(refused, 429)
        assert body["type"] == "urn:toward:problem:export-running"
        assert int(refused.headers["retry-after"]) >= 1
        # Only the caller's own export is held back.
        assert couple.second is not None
        await export_of(client, couple.second)
    # Once it has ended, the next one starts.
    await export_of(client, couple.first)


async def test_exports_past_the_limit_are_a_429_until_the_window_frees_one(
    configure, client, couple, conn
):
    configure(exports_per_user=2, export_window_seconds=600)
    for _ in range(2):
        await export_of(client, couple.first)
    refused = await client.get(EXPORT, headers=couple.first.headers)
    body = assert_problem(refused, 429)
    assert body["type"] == "urn:toward:problem:too-many-exports"
    assert 590 <= int(refused.headers["retry-after"]) <= 600
    # Refusals count for nothing: an export that ages out of the window frees one.
    oldest = await conn.scalar(
        sa.select(sa.func.min(_exports.c.started_at)).where(
            _exports.c.user_id == uuid.UUID(couple.first.id)
        )
    )
    await conn.execute(
        sa.update(_exports)
        .where(_exports.c.started_at == oldest)
        .values(started_at=utcnow() - timedelta(seconds=601))
    )
    await export_of(client, couple.first)
    assert_problem(await client.get(EXPORT, headers=couple.first.headers), 429)


async def test_a_worker_streaming_as_many_as_it_takes_is_busy(app, configure, client, couple):
    configure(exports_per_worker=1)
    assert couple.second is not None
    async with Held(app, couple.first):
        refused = await client.get(EXPORT, headers=couple.second.headers)
        body = assert_problem(refused, 503)
        assert body["type"] == "urn:toward:problem:busy"
        assert "retry-after" in refused.headers
    await export_of(client, couple.second)


async def test_an_export_read_too_slowly_is_cut_off_and_frees_the_user(
    app, configure, client, couple
):
    configure(export_seconds=0.5)

    async def stalled(_piece: bytes) -> None:
        await asyncio.sleep(30)

    streamed = await asyncio.wait_for(stream_export(app, couple.first.headers, stalled), 10)
    assert streamed.status == 200
    assert not streamed.whole
    assert app.state.exports_running.count == 0
    configure(export_seconds=600)
    await export_of(client, couple.first)


async def test_an_export_whose_worker_died_counts_only_until_export_seconds(
    configure, client, couple, conn
):
    user_id = uuid.UUID(couple.first.id)
    await conn.execute(
        sa.insert(_exports).values(id=uuid.uuid4(), user_id=user_id, started_at=utcnow())
    )
    assert_problem(await client.get(EXPORT, headers=couple.first.headers), 429)
    await conn.execute(
        sa.update(_exports)
        .where(_exports.c.user_id == user_id)
        .values(started_at=utcnow() - timedelta(seconds=601))
    )
    await export_of(client, couple.first)


async def test_housekeeping_forgets_exports_no_limit_counts(client, couple, conn, settings):
    await export_of(client, couple.first)
    user_id = uuid.UUID(couple.first.id)
    counted = max(settings.export_window_seconds, settings.export_seconds)
    old = utcnow() - timedelta(seconds=counted + 1)
    await conn.execute(
        sa.insert(_exports).values(id=uuid.uuid4(), user_id=user_id, started_at=old, ended_at=old)
    )

    await prune(conn, utcnow(), settings)

    kept = await conn.scalars(sa.select(_exports.c.started_at).where(_exports.c.user_id == user_id))
    assert [at > old for at in kept.all()] == [True]
