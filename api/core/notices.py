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

from starlette.requests import Request
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
# The keys a write is heard under when its answer starts, in its scope.
_HEARD = "toward.heard"


class LocalChanges:
    """A write to a couple's path through this worker counts as heard the moment its
    answer starts (its transaction committed before): a read through this worker that
    follows it reads the couple again, without waiting for the notice. So does whatever
    else the write's handler names (`heard_on_answer`). A write through another worker
    is heard when its notice comes (alembic/versions/0008)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        clock: ChangeClock | None = getattr(scope["app"].state, "change_clock", None)
        if scope["type"] != "http" or scope["method"] in _READS or clock is None:
            await self.app(scope, receive, send)
            return
        heard: list[uuid.UUID] = []
        matched = _COUPLE_PATH.match(scope["path"])
        if matched is not None and _is_uuid(matched.group(1)):
            heard.append(uuid.UUID(matched.group(1)))

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                for key in heard:
                    clock.heard(key)
            await send(message)

        await self.app({**scope, _HEARD: heard}, receive, answer)


def heard_on_answer(request: Request, key: uuid.UUID) -> None:
    """Count `key` (a couple's id, or a therapist's) as heard when this write's answer
    starts, as the couple of its path is: for a write that changes what is read under
    another key."""
    heard: list[uuid.UUID] | None = request.scope.get(_HEARD)
    if heard is not None:
        heard.append(key)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
