"""A batch of bids on PostgreSQL goes in by one statement that commits on its own
(`_insert_all`, api/bids/service.py): every item or none, whatever the statement meets
on the way; when it stores none, the batch's transaction finds out why."""

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.bids import service
from api.core.db import Database, create_engine
from models.base import utcnow
from models.bid import BidCreate
from tests.bids.helpers import T0, listed_ids
from tests.bids.test_batch import item, push
from tests.factories import Couple, Person


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    if not database_url.startswith("postgres"):
        pytest.skip("SQLite stores a batch in the transaction that checks it")
    made = create_engine(database_url, poolclass=sa.pool.NullPool)
    yield made
    await made.dispose()


def rows_of(couple: Couple, caller: Person, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    creates = [BidCreate.model_validate(body) for body in bodies]
    now = utcnow()
    return [
        service._insert_values(uuid.UUID(couple.id), uuid.UUID(caller.id), body, bid_id, now)
        for body, bid_id in zip(creates, service._ids(creates), strict=True)
    ]


async def insert_all(
    app: FastAPI, couple: Couple, caller: Person, rows: list[dict[str, Any]]
) -> list[tuple[Any, bool]] | None:
    database: Database = app.state.database
    return await service._insert_all(
        database, uuid.UUID(couple.id), uuid.UUID(caller.id), rows, rows[0]["now"]
    )


async def stamps(conn: AsyncConnection, couple: Couple) -> list[int]:
    found = await conn.execute(
        sa.text("SELECT DISTINCT change_seq FROM bids WHERE couple_id = :couple"),
        {"couple": uuid.UUID(couple.id)},
    )
    return sorted(found.scalars())


async def test_every_item_goes_in_with_one_change_stamp(
    engine: AsyncEngine,
    app: FastAPI,
    client: httpx.AsyncClient,
    couple: Couple,
    conn: AsyncConnection,
) -> None:
    assert couple.second is not None
    bodies = [item(), item(bidder_id=couple.second.id, response="away"), item(note="n")]
    stored = await insert_all(app, couple, couple.first, rows_of(couple, couple.first, bodies))
    assert stored is not None
    assert [bid["id"] for bid, _ in stored] == [uuid.UUID(body["id"]) for body in bodies]
    assert all(created for _, created in stored)
    assert stored[1][0]["responder_id"] == uuid.UUID(couple.first.id)
    assert sorted(await listed_ids(client, couple)) == sorted(body["id"] for body in bodies)
    # One transaction: one value of the couple's change sequence for all its rows.
    assert len(await stamps(conn, couple)) == 1


async def test_nothing_goes_in_when_any_item_cannot(
    engine: AsyncEngine,
    app: FastAPI,
    client: httpx.AsyncClient,
    couple: Couple,
    stranger: Person,
) -> None:
    taken = item()
    assert (await push(client, couple, [taken])).status_code == 201
    refused = {
        "a bidder outside the couple": (couple.first, [item(), item(bidder_id=stranger.id)]),
        # The taken id comes last: the rows before it were in when it failed.
        "an id taken": (couple.first, [item(), item(), taken]),
        "the same id twice": (couple.first, [twice := item(), twice]),
        "a caller outside the couple": (stranger, [item()]),
    }
    for name, (caller, bodies) in refused.items():
        assert await insert_all(app, couple, caller, rows_of(couple, caller, bodies)) is None, name
    assert await listed_ids(client, couple) == [taken["id"]]


async def test_an_id_a_late_transaction_takes_leaves_the_batch_whole(
    engine: AsyncEngine, client: httpx.AsyncClient, couple: Couple
) -> None:
    """A batch that meets one of its ids in another create's transaction waits for that
    transaction; when it commits, the batch stores nothing and answers the 409."""
    assert couple.second is not None
    late = item(note="the late create's body")
    now = utcnow()
    async with engine.connect() as other, other.begin():
        await other.execute(
            sa.text(
                "INSERT INTO bids (id, couple_id, bidder_id, responder_id, logged_by,"
                " occurred_at, kind, private, repair, version, request_digest, created_at,"
                " updated_at) VALUES (:id, :couple, :first, :second, :first, :at, 'humor',"
                " false, false, 1, :digest, :now, :now)"
            ),
            {
                "id": uuid.UUID(late["id"]),
                "couple": uuid.UUID(couple.id),
                "first": uuid.UUID(couple.first.id),
                "second": uuid.UUID(couple.second.id),
                "at": T0,
                "digest": hashlib.sha256(b"another body").hexdigest(),
                "now": now,
            },
        )
        pushed = asyncio.create_task(push(client, couple, [item(), item(), late]))
        await asyncio.sleep(0.3)
        assert not pushed.done()  # it waits for this transaction
    answer = await pushed
    assert answer.status_code == 409, answer.text
    assert [error["index"] for error in answer.json()["errors"]] == [2]
    assert await listed_ids(client, couple) == [late["id"]]
