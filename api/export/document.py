"""The export document, written piece by piece as it is read: every list of a couple in
keyset pages of `PAGE` rows, through the same reads (and so the same rules: private
notes, the check-ins' reveal rule) as the list endpoints that serve it, in their order.
Every read is of one snapshot of the database, so the document is of one moment."""

import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime

from pydantic import BaseModel, TypeAdapter
from sqlalchemy.ext.asyncio import AsyncConnection

from api.activities.service import list_activities
from api.bids.service import list_bids
from api.checkins.service import list_checkins
from api.core.db import Database
from api.couples.service import list_couples
from api.therapists.service import access_log_page, couple_grants, grants_received
from api.users.service import get_account
from models.export import SCHEMA_VERSION

# Rows read and written at a time: what an export holds in memory, whatever its size.
PAGE = 200

# A page of items, and the cursor of the next (None on the last).
Read = Callable[[str | None], Awaitable[tuple[Sequence[BaseModel], str | None]]]

_MOMENT = TypeAdapter(datetime)


def _joined(items: Sequence[BaseModel]) -> bytes:
    return b",".join(item.model_dump_json().encode() for item in items)


async def _array(read: Read) -> AsyncIterator[bytes]:
    yield b"["
    cursor: str | None = None
    written = False
    while True:
        items, cursor = await read(cursor)
        if items:
            yield (b"," if written else b"") + _joined(items)
            written = True
        if cursor is None:
            break
    yield b"]"


def _lists(conn: AsyncConnection, couple_id: uuid.UUID, viewer_id: uuid.UUID) -> dict[str, Read]:
    """The couple's lists as `viewer_id` sees them, by their key in the document."""

    async def grants(_cursor: str | None) -> tuple[Sequence[BaseModel], None]:
        return await couple_grants(conn, couple_id), None  # a few: never paged

    return {
        "bids": lambda cursor: list_bids(conn, couple_id, viewer_id, cursor=cursor, limit=PAGE),
        "checkins": lambda cursor: list_checkins(
            conn, couple_id, viewer_id, cursor=cursor, limit=PAGE
        ),
        "activities": lambda cursor: list_activities(conn, couple_id, cursor=cursor, limit=PAGE),
        "grants": grants,
        "access_log": lambda cursor: access_log_page(conn, couple_id, cursor=cursor, limit=PAGE),
    }


async def document(
    database: Database, user_id: uuid.UUID, exported_at: datetime
) -> AsyncGenerator[bytes, None]:
    """The JSON document (`models.export.ExportDocument`), in pieces."""
    async with database.snapshot() as conn:
        account = await get_account(conn, user_id)
        if account is None:
            raise LookupError(f"account {user_id} was erased as its export began")
        yield (
            b'{"schema_version":%d,"exported_at":%b,"account":%b,"couples":['
            % (SCHEMA_VERSION, _MOMENT.dump_json(exported_at), account.model_dump_json().encode())
        )
        # A therapist is no couple's partner: for one, the list is empty.
        for index, couple in enumerate(await list_couples(conn, user_id)):
            yield b'%b{"couple":%b' % (b"," if index else b"", couple.model_dump_json().encode())
            for key, read in _lists(conn, couple.id, user_id).items():
                yield b',"%b":' % key.encode()
                async for piece in _array(read):
                    yield piece
            yield b"}"
        # A partner is granted nothing: for one, the list is empty.
        received = await grants_received(conn, user_id)
        yield b'],"grants_received":[%b]}' % _joined(received)
