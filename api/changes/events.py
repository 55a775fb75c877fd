"""Live updates: which couples changed, told to the event streams open on this worker.

On PostgreSQL each worker keeps one connection that LISTENs on `toward_changes`; the
transaction of every write NOTIFYs it with the couple and its new change sequence
value, delivered when it commits (alembic/versions/0008). So a write through any
worker or replica reaches every open stream, with no component besides the database.
After that connection is lost and made again, the sequences of the couples with open
streams are read once, for the notices missed meanwhile. On SQLite (one machine, no
LISTEN) a worker with open streams reads their couples' sequences every
`event_poll_seconds`.

A stream ends when the worker begins to stop (the stop signal, before the server
waits for open answers to finish), when its token expires, or when the user opens
more than `event_streams_per_user` streams on the worker (the oldest ends)."""

import asyncio
import logging
import signal
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from api.changes.position import Position
from api.changes.service import current_seq
from api.core.db import Database
from api.core.errors import busy
from api.core.notices import ChangeClock
from api.core.settings import Settings
from models.change import CoupleChanges

logger = logging.getLogger("toward")

CHANNEL = "toward_changes"
_changes: sa.Table = CoupleChanges.__table__  # type: ignore[attr-defined]
# How long a client waits before it connects again after a stream ends (milliseconds).
RECONNECT_MS = 2000


@dataclass(eq=False)
class Stream:
    couple_id: uuid.UUID
    user_id: uuid.UUID
    # The highest sequence value known to this worker for the couple.
    seq: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # Why it ended, once it has: "shutdown", "replaced" or "expired".
    ended: str | None = None

    def end(self, reason: str) -> None:
        if self.ended is None:
            self.ended = reason
        self.wake.set()


class Notices:
    """The streams open on this worker, by couple, and what tells them of changes."""

    def __init__(self, database: Database, settings: Settings, clock: ChangeClock) -> None:
        self._database = database
        self._settings = settings
        self._clock = clock
        self._streams: dict[uuid.UUID, set[Stream]] = defaultdict(set)
        self._by_user: dict[uuid.UUID, list[Stream]] = defaultdict(list)
        self._open = 0
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        # Set while the listening connection is up (PostgreSQL).
        self.listening = asyncio.Event()

    # -- streams ---------------------------------------------------------------

    def listen(self, couple_id: uuid.UUID, user_id: uuid.UUID) -> Stream:
        """A stream told of the couple's changes from now on, holding one of the
        worker's places; `admit` it once the user may read the couple, else `release`."""
        if self._closing or self._open >= self._settings.event_streams_per_worker:
            raise busy("This worker has as many event streams open as it takes.", 5)
        stream = Stream(couple_id, user_id)
        self._streams[couple_id].add(stream)
        self._open += 1
        return stream

    def admit(self, stream: Stream) -> None:
        """The stream is the user's: past the user's bound, their oldest ends."""
        mine = self._by_user[stream.user_id]
        while len(mine) >= self._settings.event_streams_per_user:
            self._forget(mine[0]).end("replaced")
        mine.append(stream)

    async def stream(
        self,
        database: Database,
        couple_id: uuid.UUID,
        user_id: uuid.UUID,
        resumed: Position | None,
    ) -> tuple[Stream, int]:
        """The user's stream of the couple's changes, and the sequence value it has told
        of so far: where `resumed` (a Last-Event-ID) stood, else now. A 404 for anyone
        but the couple's partners, which takes none of the user's places."""
        # Listening first: a change committed while the sequence is read is not missed.
        stream = self.listen(couple_id, user_id)
        try:
            current = await current_seq(database, couple_id, user_id)
        except BaseException:
            self.release(stream)
            raise
        self.admit(stream)
        stream.seq = max(stream.seq, current)
        return stream, current if resumed is None else min(resumed.seq, current)

    def _forget(self, stream: Stream) -> Stream:
        couple = self._streams.get(stream.couple_id)
        if couple is not None and stream in couple:
            couple.discard(stream)
            if not couple:
                del self._streams[stream.couple_id]
            self._open -= 1
            mine = self._by_user.get(stream.user_id)
            if mine is not None and stream in mine:
                mine.remove(stream)
                if not mine:
                    del self._by_user[stream.user_id]
        return stream

    def release(self, stream: Stream) -> None:
        self._forget(stream)

    @property
    def open_streams(self) -> int:
        return self._open

    def changed(self, couple_id: uuid.UUID, seq: int) -> None:
        for stream in self._streams.get(couple_id, ()):
            if seq > stream.seq:
                stream.seq = seq
                stream.wake.set()

    def end_all(self) -> None:
        """Every stream ends, and no new one opens: the worker is stopping."""
        self._closing = True
        for streams in list(self._streams.values()):
            for stream in list(streams):
                stream.end("shutdown")

    # -- the source of notices ------------------------------------------------

    async def start(self) -> None:
        postgresql = self._database.engine.dialect.name == "postgresql"
        self._task = asyncio.create_task(self._listen() if postgresql else self._poll())

    async def close(self) -> None:
        self.end_all()
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _current(self, couple_ids: list[uuid.UUID]) -> None:
        """Each couple's sequence as the database has it now."""
        async with self._database.snapshot() as conn:
            rows = await conn.execute(
                sa.select(_changes.c.couple_id, _changes.c.seq).where(
                    _changes.c.couple_id.in_(couple_ids)
                )
            )
            for couple_id, seq in rows:
                self.changed(couple_id, seq)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._settings.event_poll_seconds)
            if self._streams:
                try:
                    await self._current(list(self._streams))
                except Exception:  # the next round tries again
                    logger.warning("reading the change sequences failed", exc_info=True)

    def _on_notice(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        couple, _, seq = payload.partition(" ")
        with suppress(ValueError):
            couple_id = uuid.UUID(couple)
            self._clock.heard(couple_id)
            self.changed(couple_id, int(seq))

    async def _listen(self) -> None:
        dsn = make_url(self._settings.database_url).set(drivername="postgresql")
        while True:
            try:
                await self._listen_once(dsn.render_as_string(hide_password=False))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("listening for changes failed; trying again", exc_info=True)
            await asyncio.sleep(1)

    async def _listen_once(self, dsn: str) -> None:
        lost = asyncio.Event()
        conn = await asyncpg.connect(dsn)
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(CHANNEL, self._on_notice)
            self.listening.set()
            self._clock.listening(True)
            if self._streams:
                await self._current(list(self._streams))
            while not lost.is_set():
                # A connection that died quietly is found by using it.
                with suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self._settings.event_heartbeat_seconds)
                if not lost.is_set():
                    await conn.execute("SELECT 1", timeout=10)
        finally:
            self.listening.clear()
            self._clock.listening(False)
            await conn.close(timeout=2)


@contextmanager
def ended_on_stop_signal(notices: Notices) -> Iterator[None]:
    """End every stream as soon as the process is told to stop: a server waits for
    open answers to finish before it runs the app's shutdown, and a stream would not
    finish. The server's own handler (uvicorn's, installed before the app starts) is
    called after ours. Only a main thread may handle signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    previous: dict[int, Any] = {sig: signal.getsignal(sig) for sig in signals}

    def handler(sig: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(notices.end_all)
        before = previous[sig]
        if callable(before):
            before(sig, frame)
        elif before == signal.SIG_DFL and sig == signal.SIGINT:
            raise KeyboardInterrupt

    for sig in signals:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig in signals:
            if signal.getsignal(sig) is handler:
                signal.signal(sig, previous[sig])


def _event(name: str, data: str, event_id: str | None = None) -> bytes:
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines += [f"event: {name}", f"data: {data}"]
    return ("\n".join(lines) + "\n\n").encode()


async def events(
    notices: Notices,
    stream: Stream,
    told: int,
    expires_at: float,
    heartbeat: float,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[bytes]:
    """The stream's body: a `changed` notice whenever the couple's sequence passes what
    the stream last told, its `id` the position through the new value and its `data`
    the cursor to pull from (past what was told before); a comment line as a heartbeat;
    and an `end` event with the reason before it ends."""
    try:
        yield f"retry: {RECONNECT_MS}\n\n".encode()
        while True:
            stream.wake.clear()
            if stream.seq > told:
                since = Position(told).cursor(stream.couple_id)
                through = Position(stream.seq).cursor(stream.couple_id)
                yield _event("changed", f'{{"cursor":"{since}"}}', through)
                told = stream.seq
                continue
            reason = stream.ended or ("expired" if clock() >= expires_at else None)
            if reason is not None:
                yield _event("end", f'{{"reason":"{reason}"}}')
                return
            with suppress(TimeoutError):
                wait = min(heartbeat, max(expires_at - clock(), 0.0))
                await asyncio.wait_for(stream.wake.wait(), wait)
                continue
            yield b": heartbeat\n\n"
    finally:
        notices.release(stream)
