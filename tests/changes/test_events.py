"""`GET /couples/{id}/events`: server-sent notices that the couple changed, served by
real server processes (uvicorn), as the apps meet them."""

import asyncio
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.changes.events import Notices, Stream, events
from api.changes.position import Position
from api.core.errors import Problem
from api.core.notices import ChangeClock
from api.core.settings import Settings
from tests.bids.helpers import log_bid
from tests.changes.helpers import page
from tests.factories import Couple, Person, make_couple
from tests.live import EventReader, Server, serving
from tests.therapists.helpers import grant_both, new_therapist


def opened(notices: Notices, couple_id: uuid.UUID, user_id: uuid.UUID) -> Stream:
    """A stream admitted at once, as the route admits one once the couple is the user's."""
    stream = notices.listen(couple_id, user_id)
    notices.admit(stream)
    return stream


def events_of(couple: Couple) -> str:
    return f"{couple.path}/events"


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    with serving(database_url, tmp_path, EVENT_HEARTBEAT_SECONDS="0.2") as served:
        yield served


@asynccontextmanager
async def client_of(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        yield http


@asynccontextmanager
async def listening(
    http: httpx.AsyncClient, couple: Couple, person: Person, **headers: str
) -> AsyncIterator[EventReader]:
    async with http.stream(
        "GET", events_of(couple), headers={**person.headers, **headers}
    ) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        yield EventReader(response)


async def _changed(reader: EventReader) -> dict[str, object]:
    event = await reader.next()
    assert event is not None and event.name == "changed", event
    return {"cursor": event.data["cursor"], "id": event.id}


async def test_a_write_through_another_worker_reaches_the_partners_stream(
    database_url: str, tmp_path: Path
) -> None:
    with serving(database_url, tmp_path) as first, serving(database_url, tmp_path) as second:
        async with client_of(first) as one, client_of(second) as other:
            couple = await make_couple(one)
            async with listening(one, couple, couple.first) as reader:
                bid = await log_bid(other, couple, couple.second, note="from the other worker")
                notice = await _changed(reader)

                pulled = await page(one, couple, couple.first, cursor=notice["cursor"])
                assert [item["id"] for item in pulled["bids"]] == [bid["id"]]
                assert reader.retry == 2000


async def test_the_last_event_id_tells_at_once_what_came_meanwhile(server: Server) -> None:
    async with client_of(server) as http:
        couple = await make_couple(http)
        async with listening(http, couple, couple.first) as reader:
            await log_bid(http, couple, couple.second)
            seen = await _changed(reader)
        missed = await log_bid(http, couple, couple.second)
        # An id that is not of this couple's stream is left aside: the stream starts now.
        async with listening(http, couple, couple.first, **{"Last-Event-ID": "nonsense"}) as new:
            with pytest.raises(TimeoutError):
                await new.next(within=0.5)

        async with listening(http, couple, couple.first, **{"Last-Event-ID": seen["id"]}) as again:
            notice = await _changed(again)

        pulled = await page(http, couple, couple.first, cursor=notice["cursor"])
        assert [item["id"] for item in pulled["bids"]] == [missed["id"]]
        # The id is a position of the changes feed, too.
        assert (await page(http, couple, couple.first, cursor=notice["id"]))["bids"] == []


async def test_an_idle_stream_gets_heartbeats_and_other_couples_stay_quiet(
    server: Server,
) -> None:
    async with client_of(server) as http:
        couple, other = await make_couple(http), await make_couple(http)
        async with listening(http, couple, couple.first) as reader:
            await log_bid(http, other, other.first)
            with pytest.raises(TimeoutError):
                await reader.next(within=1)
            assert reader.comments and set(reader.comments) == {": heartbeat"}


async def test_a_users_streams_beyond_the_bound_end_the_oldest(
    database_url: str, tmp_path: Path
) -> None:
    with serving(database_url, tmp_path, EVENT_STREAMS_PER_USER="1") as server:
        async with client_of(server) as http:
            couple = await make_couple(http)
            async with (
                listening(http, couple, couple.first) as oldest,
                listening(http, couple, couple.first) as newest,
            ):
                ended = await oldest.next()
                assert ended is not None and ended.name == "end"
                assert ended.data == {"reason": "replaced"}
                assert await oldest.next() is None
                await log_bid(http, couple, couple.second)
                await _changed(newest)


async def test_streams_end_cleanly_when_the_server_is_told_to_stop(server: Server) -> None:
    async with client_of(server) as http:
        couple = await make_couple(http)
        async with listening(http, couple, couple.first) as reader:
            stopped = asyncio.get_running_loop().run_in_executor(None, server.stop)
            ended = await reader.next()
            assert ended is not None and ended.name == "end"
            assert ended.data == {"reason": "shutdown"}
            assert await reader.next() is None
        # uvicorn ends by raising the signal again once it has shut down cleanly.
        assert await stopped in (0, -signal.SIGTERM)
        assert "Application shutdown complete." in server.log.read_text()


async def test_a_stream_ends_when_its_token_expires(app: FastAPI, settings: Settings) -> None:
    notices = Notices(app.state.database, settings, ChangeClock())
    stream = opened(notices, uuid.uuid4(), uuid.uuid4())
    body = events(notices, stream, 0, expires_at=time.time() + 0.3, heartbeat=0.1)

    chunks = [chunk async for chunk in body]

    assert chunks[0] == b"retry: 2000\n\n"
    assert b": heartbeat\n\n" in chunks
    assert chunks[-1] == b'event: end\ndata: {"reason":"expired"}\n\n'
    # Ended streams are let go: the user may open as many again.
    for _ in range(settings.event_streams_per_user):
        opened(notices, stream.couple_id, stream.user_id)


async def test_a_notice_for_several_changes_comes_once_with_the_earliest_cursor(
    app: FastAPI, settings: Settings
) -> None:
    notices = Notices(app.state.database, settings, ChangeClock())
    couple_id = uuid.uuid4()
    stream = opened(notices, couple_id, uuid.uuid4())
    body = events(notices, stream, 3, expires_at=time.time() + 60, heartbeat=60)
    assert await anext(body) == b"retry: 2000\n\n"

    notices.changed(couple_id, 4)
    notices.changed(couple_id, 6)
    notices.changed(uuid.uuid4(), 9)

    notice = await anext(body)
    assert (
        notice
        == (
            f"id: {Position(6).cursor(couple_id)}\nevent: changed\n"
            f'data: {{"cursor":"{Position(3).cursor(couple_id)}"}}\n\n'
        ).encode()
    )
    notices.end_all()
    assert await anext(body) == b'event: end\ndata: {"reason":"shutdown"}\n\n'


async def test_a_stopping_worker_refuses_new_streams_with_503(
    client: httpx.AsyncClient, couple: Couple, app: FastAPI
) -> None:
    app.state.notices.end_all()
    response = await client.get(events_of(couple), headers=couple.first.headers)
    assert response.status_code == 503
    assert response.json()["type"] == "urn:toward:problem:busy"
    assert response.headers["retry-after"] == "5"


async def test_a_worker_takes_streams_up_to_its_bound(app: FastAPI, settings: Settings) -> None:
    bounded = settings.model_copy(update={"event_streams_per_worker": 2})
    notices = Notices(app.state.database, bounded, ChangeClock())
    first = opened(notices, uuid.uuid4(), uuid.uuid4())
    opened(notices, uuid.uuid4(), uuid.uuid4())
    with pytest.raises(Problem) as refused:
        opened(notices, uuid.uuid4(), uuid.uuid4())
    assert refused.value.status == 503
    notices.release(first)
    opened(notices, uuid.uuid4(), uuid.uuid4())


async def test_events_need_a_login(client: httpx.AsyncClient, couple: Couple) -> None:
    assert (await client.get(events_of(couple))).status_code == 401


async def test_an_overlong_last_event_id_is_422_naming_it(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    response = await client.get(
        events_of(couple), headers={**couple.first.headers, "Last-Event-ID": "x" * 201}
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["last-event-id"]


async def test_another_couple_and_its_therapist_get_404(
    client: httpx.AsyncClient, couple: Couple, stranger: Person, app: FastAPI
) -> None:
    therapist = await new_therapist(client)
    await grant_both(client, couple, therapist)
    # A refused stream holds no place, nor ends one of the caller's streams.
    open_before = opened(app.state.notices, uuid.uuid4(), uuid.UUID(stranger.id))
    for person in (stranger, therapist):
        response = await client.get(events_of(couple), headers=person.headers)
        assert response.status_code == 404
    assert app.state.notices.open_streams == 1
    assert open_before.ended is None
