"""What this worker has heard of couples' changes: on PostgreSQL every transaction that
changes a couple's rows, settings or partners NOTIFYs `toward_changes` at commit
(alembic/versions/0008), and the worker listens (api/changes/events.py). A read may
then trust what it remembers of a couple, with no statement, while nothing of that
couple has been heard since before it was read and the worker has been listening all
along.

Time here is a count of what was heard. A mark, taken before a read, says when it
began: a change committed before the read is in it; one committed after is heard
after the mark. Forgetting a couple (past `kept`) or losing the connection counts as
a change of every couple up to that point (`floor`)."""

import re
import uuid
from collections import OrderedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ChangeClock:
    def __init__(self, kept: int = 100_000) -> None:
        self._kept = kept
        self._count = 0
        self._floor = 0
        self._last: OrderedDict[uuid.UUID, int] = OrderedDict()
        self._listening = False

    def heard(self, couple_id: uuid.UUID) -> None:
        self._count += 1
        self._last[couple_id] = self._count
        self._last.move_to_end(couple_id)
        if len(self._last) > self._kept:
            _, forgotten = self._last.popitem(last=False)
            self._floor = max(self._floor, forgotten)

    def listening(self, now: bool) -> None:
        """The connection is up and listening (True), or lost (False): whatever came
        before is unknown."""
        self._count += 1
        self._floor = self._count
        self._listening = now

    def mark(self) -> int | None:
        """Now, to take before a read; None while not listening (nothing is trusted)."""
        return self._count if self._listening else None

    def unchanged(self, couple_id: uuid.UUID, mark: int) -> bool:
        """Whether nothing of the couple has been heard since `mark`."""
        if not self._listening or mark < self._floor:
            return False
        return self._last.get(couple_id, self._floor) <= mark


_COUPLE_PATH = re.compile(r"^/api/v1/couples/([0-9a-fA-F-]{36})(?:[/:]|$)")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class LocalChanges:
    """A write to a couple's path through this worker counts as heard the moment its
    answer starts (its transaction committed before): a read through this worker that
    follows it reads the couple again, without waiting for the notice. A write
    through another worker is heard when its notice comes (alembic/versions/0008)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _READS:
            await self.app(scope, receive, send)
            return
        matched = _COUPLE_PATH.match(scope["path"])
        clock: ChangeClock | None = getattr(scope["app"].state, "change_clock", None)
        if matched is None or clock is None:
            await self.app(scope, receive, send)
            return
        couple_id = uuid.UUID(matched.group(1)) if _is_uuid(matched.group(1)) else None

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start" and couple_id is not None:
                clock.heard(couple_id)
            await send(message)

        await self.app(scope, receive, answer)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
