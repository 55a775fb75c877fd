"""`DELETE /couples/{couple_id}/activities/{activity_id}`: who may delete an activity,
and when."""

import uuid

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.activities.helpers import (
    ACTIVITIES,
    delete_activity,
    get_activity,
    listed_ids,
    log_activity,
    patch_activity,
    second,
    version_of,
)
from tests.factories import Couple
from tests.http import assert_problem


async def test_the_logger_deletes_an_activity_leaving_a_tombstone(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    activity = await log_activity(client, couple, note="Concert")
    response = await delete_activity(client, couple, activity["id"])
    assert response.status_code == 204
    assert response.content == b""

    for person in (couple.first, second(couple)):
        assert_problem(await get_activity(client, couple, activity["id"], person), 404)
        assert await listed_ids(client, couple, person) == []
    assert_problem(await delete_activity(client, couple, activity["id"]), 404)
    tombstone = (
        await conn.execute(
            sa.select(ACTIVITIES).where(ACTIVITIES.c.id == uuid.UUID(activity["id"]))
        )
    ).one()
    assert tombstone.deleted_at is not None
    assert (tombstone.note, tombstone.request_digest) == (None, "")


async def test_delete_by_the_other_partner_is_403(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection
) -> None:
    activity = await log_activity(client, couple, couple.first, note="keep")
    version = await version_of(conn, couple)
    problem = assert_problem(
        await delete_activity(client, couple, activity["id"], second(couple)), 403
    )
    assert problem["type"] == "urn:toward:problem:not-logger"
    assert (await get_activity(client, couple, activity["id"])).json() == activity
    assert await version_of(conn, couple) == version


async def test_delete_with_if_match(client: httpx.AsyncClient, couple: Couple) -> None:
    activity = await log_activity(client, couple)
    etag = (await get_activity(client, couple, activity["id"])).headers["ETag"]
    changed = await patch_activity(client, couple, activity["id"], {"note": "changed"})

    assert_problem(await delete_activity(client, couple, activity["id"], **{"If-Match": etag}), 412)
    assert (await get_activity(client, couple, activity["id"])).status_code == 200

    current = changed.headers["ETag"]
    deleted = await delete_activity(client, couple, activity["id"], **{"If-Match": current})
    assert deleted.status_code == 204
    assert_problem(await get_activity(client, couple, activity["id"]), 404)


async def test_delete_of_an_unknown_or_malformed_id(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    assert_problem(await delete_activity(client, couple, str(uuid.uuid4())), 404)
    assert_problem(await delete_activity(client, couple, "nope"), 422, "activity_id")
