"""A batch of bids on PostgreSQL goes in by one statement that commits on its own
(`_insert_all`, api/bids/service.py): every item or none, whatever the statement meets
on the way; when it stores none, the batch's transaction finds out why."""

import asyncio
import hashlib
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.bids import service
from api.core.db import Database
from api.core.settings import Settings
from api.main import create_app
from models.base import utcnow
from models.bid import BidCreate
from tests.batches import check_no_deadlock
from tests.bids.helpers import T0, listed_ids
from tests.bids.test_batch import item, push
from tests.factories import Couple, Person, make_couple
from tests.http import assert_problem, client_from
from tests.locks import postgresql_only, waiting_for_locks

pytestmark = postgresql_only("SQLite stores a batch in the transaction that checks it")


def rows_of(couple: Couple, caller: Person, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    creates = [BidCreate.model_validate(body) for body in bodies]
    now = utcnow()
    return [
        service._insert_values(uuid.UUID(couple.id), uuid.UUID(caller.id), body, bid_id, now)
        for body, bid_id in zip(creates, service._ids(creates), strict=True)
    ]


async def insert_all(
    app: FastAPI, couple: Couple, caller: Person, bodies: list[dict[str, Any]]
) -> list[tuple[Any, bool]] | None:
    database: Database = app.state.database
    rows = rows_of(couple, caller, bodies)
    return await service._insert_all(
        database, uuid.UUID(couple.id), uuid.UUID(caller.id), rows, rows[0]["now"]
    )


async def insert_bid(conn: AsyncConnection, couple: Couple, bid_id: str, **ids: str) -> None:
    """A bid written straight to the table, as another create's transaction would."""
    assert couple.second is not None
    bidder, responder = ids.get("bidder", couple.first.id), ids.get("responder", couple.second.id)
    now = utcnow()
    await conn.execute(
        sa.text(
            "INSERT INTO bids (id, couple_id, bidder_id, responder_id, logged_by, occurred_at,"
            " kind, private, repair, version, request_digest, created_at, updated_at)"
            " VALUES (:id, :couple, :bidder, :responder, :bidder, :at, 'humor', false, false,"
            " 1, :digest, :now, :now)"
        ),
        {
            "id": uuid.UUID(bid_id),
            "couple": uuid.UUID(couple.id),
            "bidder": uuid.UUID(bidder),
            "responder": uuid.UUID(responder),
            "at": T0,
            "digest": hashlib.sha256(b"another body").hexdigest(),
            "now": now,
        },
    )


async def test_every_item_goes_in_by_the_statement(
    engine: AsyncEngine,
    app: FastAPI,
    client: httpx.AsyncClient,
    couple: Couple,
    conn: AsyncConnection,
) -> None:
    assert couple.second is not None
    bodies = [item(), item(bidder_id=couple.second.id, response="away"), item(note="n")]
    stored = await insert_all(app, couple, couple.first, bodies)
    assert stored is not None
    assert [bid["id"] for bid, _ in stored] == [uuid.UUID(body["id"]) for body in bodies]
    assert all(created for _, created in stored)
    assert stored[1][0]["responder_id"] == uuid.UUID(couple.first.id)
    assert sorted(await listed_ids(client, couple)) == sorted(body["id"] for body in bodies)
    # One transaction: one value of the couple's change sequence for all its rows, the
    # couple's latest (taken by the statement, not by the row trigger: 0016).
    seqs = await conn.execute(
        sa.text("SELECT DISTINCT change_seq FROM bids WHERE couple_id = :couple"),
        {"couple": uuid.UUID(couple.id)},
    )
    assert seqs.scalars().all() == [await _couple_seq(conn, couple)]


async def _couple_seq(conn: AsyncConnection, couple: Couple) -> int:
    """How far the couple's change sequence has run: 0 before its first write."""
    found = await conn.execute(
        sa.text("SELECT seq FROM couple_changes WHERE couple_id = :couple"),
        {"couple": uuid.UUID(couple.id)},
    )
    return found.scalar_one_or_none() or 0


async def test_nothing_goes_in_when_any_item_cannot(
    engine: AsyncEngine,
    app: FastAPI,
    client: httpx.AsyncClient,
    couple: Couple,
    stranger: Person,
    conn: AsyncConnection,
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
    seq = await _couple_seq(conn, couple)
    for name, (caller, bodies) in refused.items():
        assert await insert_all(app, couple, caller, bodies) is None, name
    assert await listed_ids(client, couple) == [taken["id"]]
    assert await _couple_seq(conn, couple) == seq  # a batch that stored nothing took none
    dissolved = await make_couple(client)
    await conn.execute(
        sa.text("UPDATE couples SET dissolved_at = now() WHERE id = :id"),
        {"id": uuid.UUID(dissolved.id)},
    )
    assert await insert_all(app, dissolved, dissolved.first, [item()]) is None
    assert await listed_ids(client, dissolved) == []


async def test_a_batch_of_new_bids_goes_by_the_statement_and_a_replay_does_not(
    engine: AsyncEngine, client: httpx.AsyncClient, couple: Couple, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes: list[bool] = []
    insert_all = service._insert_all

    async def spied(*arguments: Any) -> list[tuple[Any, bool]] | None:
        stored = await insert_all(*arguments)
        outcomes.append(stored is not None)
        return stored

    monkeypatch.setattr(service, "_insert_all", spied)
    items = [item(), item()]
    assert (await push(client, couple, items)).status_code == 201
    replayed = await push(client, couple, items)
    assert replayed.status_code == 200, replayed.text
    assert outcomes == [True, False]


@pytest.mark.parametrize("commits", [True, False])
async def test_an_id_another_couples_create_holds_waits_for_its_outcome(
    engine: AsyncEngine, client: httpx.AsyncClient, couple: Couple, commits: bool
) -> None:
    """A batch meeting one of its ids in another couple's uncommitted create waits for
    it: when it commits, the batch stores nothing and answers the 409; when it rolls
    back, the batch stores every item."""
    other = await make_couple(client)
    late = item()
    batch = [item(), item(), late]
    async with engine.connect() as writer, engine.connect() as watcher:
        watching = await watcher.execution_options(isolation_level="AUTOCOMMIT")
        transaction = await writer.begin()
        await insert_bid(writer, other, late["id"])
        pushed = asyncio.create_task(push(client, couple, batch))
        await waiting_for_locks(watching)
        await (transaction.commit() if commits else transaction.rollback())
        answer = await pushed
    if commits:
        assert [error["index"] for error in assert_problem(answer, 409)["errors"]] == [2]
        assert await listed_ids(client, couple) == []
    else:
        assert answer.status_code == 201, answer.text
        assert sorted(await listed_ids(client, couple)) == sorted(entry["id"] for entry in batch)


async def test_an_erasure_that_commits_while_the_batch_waits_leaves_nothing(
    engine: AsyncEngine, client: httpx.AsyncClient, couple: Couple, stranger: Person
) -> None:
    """The statement read the partners before an erasure committed; its change stamp
    waited for the erasure, and the check of the bids' partners then fails it
    (alembic/versions/0014). The batch's transaction finds the couple dissolved."""
    assert couple.second is not None
    async with engine.connect() as eraser, engine.connect() as watcher:
        watching = await watcher.execution_options(isolation_level="AUTOCOMMIT")
        transaction = await eraser.begin()
        # As an erasure does: the couple's change stamp first (here by a write of its
        # own), the partner replaced (here by another account), the couple dissolved.
        await insert_bid(eraser, couple, str(uuid.uuid4()))
        await eraser.execute(
            sa.text(
                "UPDATE couple_members SET user_id = :replacement"
                " WHERE couple_id = :couple AND user_id = :erased"
            ),
            {
                "replacement": uuid.UUID(stranger.id),
                "couple": uuid.UUID(couple.id),
                "erased": uuid.UUID(couple.second.id),
            },
        )
        await eraser.execute(
            sa.text("UPDATE couples SET dissolved_at = now() WHERE id = :id"),
            {"id": uuid.UUID(couple.id)},
        )
        pushed = asyncio.create_task(push(client, couple, [item(), item()]))
        await waiting_for_locks(watching)
        await transaction.commit()
        answer = await pushed
    assert assert_problem(answer, 409)["type"] == "urn:toward:problem:couple-dissolved"
    assert len(await listed_ids(client, couple)) == 1  # the eraser's own


async def test_batches_waiting_for_their_couple_leave_other_couples_writes_alone(
    engine: AsyncEngine, settings: Settings
) -> None:
    """A batch waiting for its couple's change stamp holds a connection of the request
    pool, as a transaction would: none of those the single creates' batcher and the hot
    reads share, which a few waiting batches would otherwise take from every couple."""
    app = create_app(settings.model_copy(update={"db_pool_size": 2, "write_timeout_seconds": 2}))
    async with app.router.lifespan_context(app), client_from(app) as client:
        waiting, other = await make_couple(client), await make_couple(client)
        async with engine.connect() as holder, engine.connect() as watcher:
            watching = await watcher.execution_options(isolation_level="AUTOCOMMIT")
            transaction = await holder.begin()
            await insert_bid(holder, waiting, str(uuid.uuid4()))
            batches = [asyncio.create_task(push(client, waiting, [item()])) for _ in range(2)]
            await waiting_for_locks(watching, sessions=2)
            created = await client.post(
                other.bids, json={"kind": "humor"}, headers=other.first.headers
            )
            assert created.status_code == 201, created.text
            assert not any(batch.done() for batch in batches)
            await transaction.rollback()
            assert [(await batch).status_code for batch in batches] == [201, 201]


@pytest.mark.parametrize("statement", [True, False])
async def test_batches_that_share_ids_in_another_order_do_not_deadlock(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    statement: bool,
) -> None:
    """Stored in the order of their ids (tests/batches.py), by the statement or by the
    transaction: by the transaction, a deadlock would be a 500; by the statement, a
    second's wait for the database to find it, then the transaction."""
    raised: list[BaseException] = []
    if statement:
        write_apart = Database.write_apart

        async def watched(database: Database, *args: Any, **values: Any) -> Any:
            try:
                return await write_apart(database, *args, **values)
            except Exception as error:
                raised.append(error)
                raise

        monkeypatch.setattr(Database, "write_apart", watched)
    else:

        async def none(*args: Any) -> None:
            return None

        monkeypatch.setattr(service, "_insert_all", none)
    ours, theirs, third = [await make_couple(client) for _ in range(3)]
    await check_no_deadlock(
        engine,
        lambda conn, bid_id: insert_bid(conn, third, bid_id),
        lambda items: push(client, ours, items),
        lambda items: push(client, theirs, items),
        item,
    )
    # By the statement, the batch refused met a taken id, not a deadlock.
    assert [type(error).__name__ for error in raised] == (
        ["UniqueViolationError"] if statement else []
    )
