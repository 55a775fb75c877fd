"""A create sent again with the same id: a replay gives the stored activity, anything
else with that id is a 409."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.activities.helpers import (
    ACTIVITIES,
    activities_of,
    delete_activity,
    first_couple_id,
    get_activity,
    listed_ids,
    log_activity,
    post_activity,
    second,
    version_of,
)
from tests.factories import Couple, Person, register
from tests.http import assert_problem


def a_body(**changes: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "date_night",
        "occurred_at": "2024-05-06T18:00:00Z",
        "duration_minutes": 90,
        "note": "Cinema",
        **changes,
    }


async def test_replaying_a_create_gives_the_stored_activity_and_writes_nothing(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    body = a_body()
    created = await post_activity(client, couple, **body)
    assert created.status_code == 201, created.text
    version = await version_of(conn, couple)

    replay = await post_activity(client, couple, **body)

    assert replay.status_code == 200, replay.text
    assert replay.json() == created.json()
    assert replay.headers["ETag"] == created.headers["ETag"]
    assert await listed_ids(client, couple) == [body["id"]]
    assert await version_of(conn, couple) == version


@pytest.mark.parametrize(
    ("first", "again"),
    [
        pytest.param("2024-05-06T20:00:00+02:00", "2024-05-06T18:00:00Z", id="offset-then-Z"),
        pytest.param("2024-05-06T18:00:00Z", "2024-05-07T06:00:00+12:00", id="Z-then-offset"),
        pytest.param(
            "2024-05-06T18:00:00+00:00", "2024-05-06T13:00:00.000-05:00", id="fraction-and-negative"
        ),
    ],
)
async def test_the_same_instant_in_another_offset_is_a_replay(
    client: httpx.AsyncClient, couple: Couple, first: str, again: str
) -> None:
    body = a_body(occurred_at=first)
    created = (await post_activity(client, couple, **body)).json()
    replay = await post_activity(client, couple, **(body | {"occurred_at": again}))
    assert replay.status_code == 200, replay.text
    assert replay.json() == created
    assert await listed_ids(client, couple) == [body["id"]]


async def test_defaults_spelled_out_and_whole_numbers_with_a_fraction_are_a_replay(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    activity_id = str(uuid.uuid4())
    created = await log_activity(
        client, couple, id=activity_id, kind="other", occurred_at="2024-05-06T18:00:00Z"
    )
    spelled = await post_activity(
        client,
        couple,
        id=activity_id,
        kind="other",
        occurred_at="2024-05-06T18:00:00Z",
        duration_minutes=None,
        note=None,
    )
    assert spelled.status_code == 200, spelled.text
    assert spelled.json() == created

    body = a_body(duration_minutes=60)
    timed = await log_activity(client, couple, **body)
    fraction = await post_activity(client, couple, **(body | {"duration_minutes": 60.0}))
    assert fraction.status_code == 200, fraction.text
    assert fraction.json() == timed


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "shared_activity"},
        {"occurred_at": "2024-05-06T18:00:01Z"},
        {"duration_minutes": 91},
        {"duration_minutes": None},
        {"note": "Theatre"},
        {"note": None},
    ],
)
async def test_the_same_id_with_another_body_is_409(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection, change: dict[str, Any]
) -> None:
    body = a_body()
    created = await log_activity(client, couple, **body)
    version = await version_of(conn, couple)

    problem = assert_problem(await post_activity(client, couple, **(body | change)), 409)

    assert problem["type"] == "urn:toward:problem:id-conflict"
    assert (await get_activity(client, couple, body["id"])).json() == created
    assert await listed_ids(client, couple) == [body["id"]]
    assert await version_of(conn, couple) == version


async def test_the_other_partner_replaying_an_id_is_409(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    body = a_body()
    created = await log_activity(client, couple, couple.first, **body)
    assert_problem(await post_activity(client, couple, second(couple), **body), 409)
    assert (await get_activity(client, couple, body["id"])).json() == created
    assert await listed_ids(client, couple) == [body["id"]]


async def test_replaying_a_deleted_id_is_409(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    body = a_body()
    await log_activity(client, couple, **body)
    assert (await delete_activity(client, couple, body["id"])).status_code == 204
    version = await version_of(conn, couple)

    assert_problem(await post_activity(client, couple, **body), 409)
    assert_problem(await post_activity(client, couple, **(body | {"kind": "other"})), 409)
    assert_problem(await get_activity(client, couple, body["id"]), 404)
    assert await listed_ids(client, couple) == []
    assert await version_of(conn, couple) == version


async def test_a_deleted_activity_keeps_no_digest_of_its_words(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    body = a_body(note="a hard talk, then a walk")
    await log_activity(client, couple, **body)
    stored = sa.select(ACTIVITIES.c.request_digest, ACTIVITIES.c.note).where(
        ACTIVITIES.c.id == uuid.UUID(body["id"])
    )
    before = (await conn.execute(stored)).one()
    assert len(before.request_digest) == 64
    assert before.note == body["note"]

    await delete_activity(client, couple, body["id"])

    after = (await conn.execute(stored)).one()
    assert (after.request_digest, after.note) == ("", None)


async def test_an_id_taken_in_another_couple_is_409_and_stays_hidden(
    client: httpx.AsyncClient, couple: Couple, stranger: Person
) -> None:
    body = a_body()
    created = await log_activity(client, couple, **body)
    theirs = activities_of(await first_couple_id(client, stranger))

    assert_problem(await client.post(theirs, json=body, headers=stranger.headers), 409)

    assert (await client.get(theirs, headers=stranger.headers)).json()["items"] == []
    assert (await get_activity(client, couple, body["id"])).json() == created


async def test_the_same_partner_replaying_an_id_in_their_other_couple_is_409(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    other = await client.post("/api/v1/couples", json={}, headers=couple.first.headers)
    assert other.status_code == 201, other.text
    carl = await register(client, "Carl")
    joined = await client.post(
        "/api/v1/couples/join", json={"code": other.json()["invite"]["code"]}, headers=carl.headers
    )
    assert joined.status_code == 200, joined.text
    theirs = activities_of(other.json()["id"])
    body = a_body()
    created = await log_activity(client, couple, **body)

    assert_problem(await client.post(theirs, json=body, headers=couple.first.headers), 409)

    assert (await client.get(theirs, headers=couple.first.headers)).json()["items"] == []
    assert (await get_activity(client, couple, body["id"])).json() == created


async def test_concurrent_creates_of_one_id_store_one_activity(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    same = a_body()
    answers = await asyncio.gather(*(post_activity(client, couple, **same) for _ in range(4)))
    assert sorted(answer.status_code for answer in answers) == [200, 200, 200, 201]
    assert len({answer.text for answer in answers}) == 1

    clashing = a_body()
    clashes = await asyncio.gather(
        post_activity(client, couple, couple.first, **clashing),
        post_activity(client, couple, second(couple), **clashing),
        post_activity(client, couple, couple.first, **(clashing | {"note": "other"})),
    )
    # Whichever wins, the other two differ from it in caller or body.
    assert sorted(answer.status_code for answer in clashes) == [201, 409, 409]
    assert sorted(await listed_ids(client, couple)) == sorted([same["id"], clashing["id"]])
