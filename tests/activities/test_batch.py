"""`POST /couples/{id}/activities:batch`: the activities a phone logged offline, sent
at once. Every item stored or none; each stored, and replayed, as a single create;
every bad item named by its index."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models.activity import Activity
from models.bid import MAX_BATCH
from tests.activities.helpers import T0, iso, listed_ids, post_activity, second, weeks_of
from tests.batches import check_no_deadlock, check_replays
from tests.factories import Couple, Person, make_couple
from tests.http import assert_problem
from tests.statements import sent_statements
from tests.therapists.helpers import grant_both, new_therapist


def item(**fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "kind": "date_night", "occurred_at": iso(T0), **fields}


async def push(
    client: httpx.AsyncClient,
    couple: Couple,
    items: list[dict[str, Any]],
    who: Person | None = None,
) -> httpx.Response:
    return await client.post(
        f"{couple.path}/activities:batch",
        json={"items": items},
        headers=(who or couple.first).headers,
    )


async def test_every_item_is_stored_in_order(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    items = [
        item(note="dinner", duration_minutes=90),
        item(kind="checkin_talk", occurred_at=iso(T0 + timedelta(days=1)), duration_minutes=20),
    ]
    pushed = await push(client, couple, items, who=second(couple))
    assert pushed.status_code == 201, pushed.text
    answered = pushed.json()["items"]
    assert [(entry["index"], entry["created"]) for entry in answered] == [(0, True), (1, True)]
    assert [entry["activity"]["id"] for entry in answered] == [entry["id"] for entry in items]
    assert answered[0]["activity"]["logged_by"] == second(couple).id
    for entry in answered:
        read = await client.get(
            f"{couple.path}/activities/{entry['activity']['id']}", headers=couple.first.headers
        )
        assert read.json() == entry["activity"]
    assert sum(minutes for _, minutes in (await weeks_of(conn, couple)).values()) == 110


async def test_a_batch_sent_again_is_replayed_item_by_item(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    await check_replays(
        lambda items: push(client, couple, items),
        lambda body: post_activity(client, couple, **body),
        item,
        "activity",
    )
    assert len(await listed_ids(client, couple)) == 4


async def test_one_bad_item_in_the_middle_stores_nothing(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    items = [item(), item(occurred_at="2999-01-01T00:00:00Z"), item(), item()]
    body = assert_problem(await push(client, couple, items), 422, "items.1.occurred_at")
    assert [error["index"] for error in body["errors"]] == [1]
    typed = await push(client, couple, [item(), item(duration_minutes=0), item()])
    assert [error["index"] for error in assert_problem(typed, 422)["errors"]] == [1]
    assert await listed_ids(client, couple) == []
    taken = item(note="first body")
    assert (await post_activity(client, couple, **taken)).status_code == 201
    clash = await push(client, couple, [item(), {**taken, "note": "another"}, item()])
    body = assert_problem(clash, 409, "items.1.id")
    assert body["type"] == "urn:toward:problem:id-conflict"
    assert [error["index"] for error in body["errors"]] == [1]
    assert await listed_ids(client, couple) == [taken["id"]]


async def test_an_id_sent_twice_is_stored_once(client: httpx.AsyncClient, couple: Couple) -> None:
    """As if each item were sent alone, in order: the second of the same body is a replay
    of the first, the second of another body a conflict."""
    twice = item(note="dinner")
    pushed = await push(client, couple, [twice, item(), twice])
    assert pushed.status_code == 201, pushed.text
    answered = pushed.json()["items"]
    assert [entry["created"] for entry in answered] == [True, True, False]
    assert answered[2]["activity"] == answered[0]["activity"]
    assert sorted(await listed_ids(client, couple)) == sorted(
        [twice["id"], answered[1]["activity"]["id"]]
    )
    clash = item()
    refused = await push(client, couple, [item(), clash, {**clash, "note": "another"}])
    assert [error["index"] for error in assert_problem(refused, 409, "items.2.id")["errors"]] == [2]
    assert len(await listed_ids(client, couple)) == 2


async def test_a_full_batch_takes_as_few_statements_as_one_item(
    client: httpx.AsyncClient, couple: Couple, app: FastAPI, conn: AsyncConnection
) -> None:
    """Not a statement per item: the couple's writes wait for a batch's commit, which
    must not wait for hundreds of round trips."""

    async def statements(items: list[dict[str, Any]]) -> int:
        with sent_statements(app) as seen:
            pushed = await push(client, couple, items)
        assert pushed.status_code == 201, pushed.text
        assert len(pushed.json()["items"]) == len(items)
        return len(seen)

    one = await statements([item()])
    full = await statements([item() for _ in range(MAX_BATCH)])

    assert full == one
    activities = Activity.__table__  # type: ignore[attr-defined]
    stored = await conn.execute(
        sa.select(sa.func.count()).where(activities.c.couple_id == uuid.UUID(couple.id))
    )
    assert stored.scalar_one() == MAX_BATCH + 1


async def test_the_batch_has_bounds(client: httpx.AsyncClient, couple: Couple) -> None:
    assert_problem(await push(client, couple, []), 422, "items")
    too_many = [item() for _ in range(MAX_BATCH + 1)]
    assert_problem(await push(client, couple, too_many), 422, "items")


async def test_only_the_couples_partners_push(
    client: httpx.AsyncClient, couple: Couple, stranger: Person
) -> None:
    assert_problem(
        await client.post(f"{couple.path}/activities:batch", json={"items": [item()]}), 401
    )
    assert_problem(await push(client, couple, [item()], who=stranger), 404)
    therapist = await new_therapist(client)
    await grant_both(client, couple, therapist)
    assert_problem(await push(client, couple, [item()], who=therapist), 404)
    assert await listed_ids(client, couple) == []
    # As with single creates, a couple still waiting for its second partner may log.
    alone = await make_couple(client, joined=False)
    assert (await push(client, alone, [item()])).status_code == 201


async def test_batches_that_share_ids_in_another_order_do_not_deadlock(
    client: httpx.AsyncClient, database_url: str, engine: AsyncEngine
) -> None:
    """Stored in the order of their ids (tests/batches.py); were they not, one batch
    would end in a deadlock, a 500."""
    if not database_url.startswith("postgres"):
        pytest.skip("SQLite runs one write transaction at a time")
    ours, theirs, third = [await make_couple(client) for _ in range(3)]

    async def hold(conn: AsyncConnection, activity_id: str) -> None:
        await conn.execute(
            sa.insert(Activity.__table__).values(  # type: ignore[attr-defined]
                id=uuid.UUID(activity_id),
                couple_id=uuid.UUID(third.id),
                logged_by=uuid.UUID(third.first.id),
                kind="date_night",
                occurred_at=T0,
                version=1,
                request_digest="0" * 64,
                created_at=T0,
                updated_at=T0,
            )
        )

    await check_no_deadlock(
        engine,
        hold,
        lambda items: push(client, ours, items),
        lambda items: push(client, theirs, items),
        item,
    )
