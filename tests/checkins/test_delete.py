"""`DELETE /couples/{couple_id}/checkins/{date}`: one's own check-in becomes a
tombstone; putting the date again brings it back under the same id."""

import uuid

import sqlalchemy as sa

from models.checkin import Checkin
from tests.checkins.helpers import DAY, check_in, delete, listed, put, read
from tests.http import assert_problem

_checkins: sa.Table = Checkin.__table__  # type: ignore[attr-defined]


async def test_deleting_ones_own_check_in(client, couple):
    await check_in(client, couple, couple.first)
    response = await delete(client, couple, couple.first)
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await read(client, couple, couple.first), 404)
    assert await listed(client, couple, couple.first) == []
    assert_problem(await delete(client, couple, couple.first), 404)


async def test_deleting_without_a_check_in_is_404(client, couple):
    assert_problem(await delete(client, couple, couple.first), 404)


async def test_one_deletes_only_ones_own(client, couple):
    bens = await check_in(client, couple, couple.second)
    assert_problem(await delete(client, couple, couple.first), 404)
    assert (await read(client, couple, couple.second)).json() == bens


async def test_the_tombstone_keeps_no_note(client, couple, conn):
    checkin = await check_in(client, couple, couple.first, note="private words", private=True)
    await delete(client, couple, couple.first)
    row = (
        await conn.execute(sa.select(_checkins).where(_checkins.c.id == uuid.UUID(checkin["id"])))
    ).one()
    assert row.deleted_at is not None
    assert row.note is None


async def test_putting_a_deleted_date_again_revives_it_under_its_id(client, couple):
    old = await check_in(client, couple, couple.first, connection=2, note="gone")
    old_etag = (await read(client, couple, couple.first)).headers["ETag"]
    await delete(client, couple, couple.first)

    revived = await put(client, couple, couple.first)
    assert revived.status_code == 201, revived.text
    body = revived.json()
    assert body["id"] == old["id"]
    assert body["date"] == DAY.isoformat()
    assert (body["connection"], body["note"]) == (7, None)
    assert body["created_at"] >= old["created_at"]
    # A tag never comes back: a client holding the old one is not told it is current.
    assert revived.headers["ETag"] != old_etag
    held = await read(client, couple, couple.first, **{"If-None-Match": old_etag})
    assert held.status_code == 200
    assert [item["id"] for item in await listed(client, couple, couple.first)] == [old["id"]]
