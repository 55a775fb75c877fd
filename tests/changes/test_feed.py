"""`GET /couples/{id}/changes`: what changed after a cursor, as the caller may see it."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.changes.position import Position
from api.changes.service import purge_tombstones
from tests.activities.helpers import delete_activity, log_activity, second
from tests.bids.helpers import log_bid
from tests.changes.helpers import Replica, changes_of, count, page
from tests.checkins.helpers import DAY, check_in, delete
from tests.factories import Couple, Person, make_couple
from tests.therapists.helpers import grant_both, new_therapist


async def test_a_sync_from_nothing_gets_everything_live_and_no_tombstones(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    kept = await log_bid(client, couple, note="kept")
    gone = await log_bid(client, couple)
    assert (
        await client.delete(f"{couple.bids}/{gone['id']}", headers=couple.first.headers)
    ).status_code == 204
    activity = await log_activity(client, couple)
    mine = await check_in(client, couple, couple.first)

    answer = await page(client, couple, couple.first)

    assert [bid["id"] for bid in answer["bids"]] == [kept["id"]]
    assert answer["bids"][0]["note"] == "kept"
    assert [item["id"] for item in answer["activities"]] == [activity["id"]]
    assert [item["id"] for item in answer["checkins"]] == [mine["id"]]
    assert answer["deleted"] == []
    assert answer["couple"]["id"] == couple.id
    assert {partner["display_name"] for partner in answer["couple"]["partners"]} == {"Ana", "Ben"}
    assert answer["has_more"] is False


async def test_nothing_new_after_the_cursor_is_an_empty_page(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    await log_bid(client, couple)
    first = await page(client, couple, couple.first)

    again = await page(client, couple, couple.first, cursor=first["next_cursor"])

    assert count(again) == 0
    assert again["has_more"] is False
    assert again["couple"] is None
    # The cursor of an empty page serves as well as the one given.
    later = await page(client, couple, couple.first, cursor=again["next_cursor"])
    assert count(later) == 0


async def test_after_a_cursor_come_creates_changes_and_deletions_once_each(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    old = await log_bid(client, couple)
    activity = await log_activity(client, couple)
    cursor = (await page(client, couple, couple.second))["next_cursor"]

    new = await log_bid(client, couple, couple.second)
    changed = await client.patch(
        f"{couple.bids}/{old['id']}", json={"note": "edited"}, headers=couple.first.headers
    )
    assert changed.status_code == 200
    assert (await delete_activity(client, couple, activity["id"])).status_code == 204
    await client.patch(
        f"{couple.bids}/{old['id']}", json={"note": "edited twice"}, headers=couple.first.headers
    )

    answer = await page(client, couple, couple.second, cursor=cursor)

    assert sorted(bid["id"] for bid in answer["bids"]) == sorted([old["id"], new["id"]])
    assert {bid["id"]: bid["note"] for bid in answer["bids"]}[old["id"]] == "edited twice"
    assert answer["deleted"] == [{"type": "activity", "id": activity["id"]}]
    assert answer["activities"] == []
    assert answer["couple"] is None


async def test_a_perception_is_a_change_of_the_bid(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    bid = await log_bid(client, couple)
    cursor = (await page(client, couple, couple.first))["next_cursor"]
    given = await client.put(
        f"{couple.bids}/{bid['id']}/perception",
        json={"response": "toward"},
        headers=second(couple).headers,
    )
    assert given.status_code == 200, given.text

    answer = await page(client, couple, couple.first, cursor=cursor)

    assert [item["response"] for item in answer["bids"]] == ["toward"]


async def test_pages_give_every_item_once_while_the_partner_writes(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    for _ in range(7):
        await log_bid(client, couple)
    phone = Replica()
    first = await page(client, couple, couple.first, limit=3)
    phone.apply(first)
    assert count(first) == 3 and first["has_more"] is True

    # Between pages: a new bid, a change to one already handed out, and a deletion.
    await log_bid(client, couple, couple.second)
    handed = next(iter(phone.items["bids"]))
    await client.patch(
        f"{couple.bids}/{handed}", json={"note": "later"}, headers=couple.first.headers
    )
    await phone.pull(client, couple, couple.first, limit=3)

    server = await page(client, couple, couple.first)
    assert phone.ids("bids") == {bid["id"] for bid in server["bids"]}
    assert phone.items["bids"][handed]["note"] == "later"
    # The changed bid came twice (before and after its change); nothing else did.
    seen = [item_id for kind, item_id, _ in phone.received if kind == "bids"]
    assert sorted(seen) == sorted([*phone.ids("bids"), handed])


async def test_a_private_note_is_the_loggers_alone(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    await log_bid(client, couple, note="just mine", private=True)

    mine = await page(client, couple, couple.first)
    theirs = await page(client, couple, couple.second)

    assert mine["bids"][0]["note"] == "just mine"
    assert theirs["bids"][0]["note"] is None
    assert theirs["bids"][0]["private"] is True


async def test_a_partners_check_in_comes_when_revealed_and_goes_when_hidden(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    """The reveal rule: a partner's check-in is seen only for a date both checked in.
    It comes with one's own; one's own deleted takes it away on the phone."""
    theirs = await check_in(client, couple, second(couple), note="tired")
    phone = Replica(viewer_id=couple.first.id)
    await phone.pull(client, couple, couple.first)
    assert phone.ids("checkins") == set()

    mine = await check_in(client, couple, couple.first)
    before = len(phone.received)
    await phone.pull(client, couple, couple.first)
    assert phone.ids("checkins") == {mine["id"], theirs["id"]}
    assert phone.items["checkins"][theirs["id"]]["note"] == "tired"
    assert len(phone.received) - before == 2

    assert (await delete(client, couple, couple.first)).status_code == 204
    before = len(phone.received)
    await phone.pull(client, couple, couple.first)
    assert phone.ids("checkins") == set()
    assert phone.received[before:] == [("checkins", mine["id"], "deleted")]

    # Checked in again: the partner's comes back with it, as it is now.
    await check_in(client, couple, couple.first)
    await phone.pull(client, couple, couple.first)
    assert theirs["id"] in phone.ids("checkins")
    server = Replica(viewer_id=couple.first.id)
    await server.pull(client, couple, couple.first)
    assert phone.items == server.items


async def test_nothing_of_a_hidden_check_in_comes_not_even_its_changes(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    """While one has not checked in for a date, the partner's check-in for it, its
    changes and its deletion tell nothing: no item, no tombstone."""
    phone = Replica(viewer_id=couple.first.id)
    await phone.pull(client, couple, couple.first)
    await check_in(client, couple, second(couple), note="first")
    await check_in(client, couple, second(couple), note="changed")
    assert (await delete(client, couple, second(couple))).status_code == 204
    before = len(phone.received)

    await phone.pull(client, couple, couple.first)

    assert phone.received[before:] == []


async def test_a_partners_deletion_comes_to_whoever_could_hold_it(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    await check_in(client, couple, couple.first)
    theirs = await check_in(client, couple, second(couple))
    phone = Replica(viewer_id=couple.first.id)
    await phone.pull(client, couple, couple.first)
    assert theirs["id"] in phone.ids("checkins")

    assert (await delete(client, couple, second(couple))).status_code == 204
    await phone.pull(client, couple, couple.first)

    assert theirs["id"] not in phone.ids("checkins")
    assert phone.received[-1] == ("checkins", theirs["id"], "deleted")


async def test_a_hidden_check_in_is_left_out_of_a_sync_from_nothing(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    await check_in(client, couple, couple.second)
    other_day = DAY + timedelta(days=1)
    await check_in(client, couple, couple.first, other_day)

    answer = await page(client, couple, couple.first)

    assert answer["deleted"] == []
    assert [item["date"] for item in answer["checkins"]] == [other_day.isoformat()]


async def test_the_couple_comes_when_it_or_a_partners_profile_changes(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    cursor = (await page(client, couple, couple.first))["next_cursor"]
    renamed = await client.patch(couple.path, json={"name": "Us"}, headers=second(couple).headers)
    assert renamed.status_code == 200

    answer = await page(client, couple, couple.first, cursor=cursor)
    assert answer["couple"]["name"] == "Us"

    profile = await client.patch(
        "/api/v1/me", json={"display_name": "Benjamin"}, headers=second(couple).headers
    )
    assert profile.status_code == 200, profile.text
    answer = await page(client, couple, couple.first, cursor=answer["next_cursor"])
    assert "Benjamin" in {partner["display_name"] for partner in answer["couple"]["partners"]}


async def test_the_partner_joining_is_a_change_of_the_couple(client: httpx.AsyncClient) -> None:
    couple = await make_couple(client, joined=False)
    cursor = (await page(client, couple, couple.first))["next_cursor"]
    code = couple.data["invite"]["code"]
    other = await make_couple(client)
    joined = await client.post(
        "/api/v1/couples/join", json={"code": code}, headers=second(other).headers
    )
    assert joined.status_code == 200, joined.text

    answer = await page(client, couple, couple.first, cursor=cursor)

    assert len(answer["couple"]["partners"]) == 2


async def test_a_big_change_pages_within_its_own_sequence_value(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    """A batch is one transaction, one sequence value: pages split it by type and id."""
    cursor = (await page(client, couple, couple.first))["next_cursor"]
    items = [{"kind": "attention"} for _ in range(9)]
    stored = await client.post(
        f"{couple.bids}:batch", json={"items": items}, headers=couple.first.headers
    )
    assert stored.status_code == 201
    phone = Replica(cursor=cursor)

    pages = await phone.pull(client, couple, couple.first, limit=4)

    assert pages == 3
    assert phone.ids("bids") == {item["bid"]["id"] for item in stored.json()["items"]}
    assert len(phone.received) == 9


async def test_a_cursor_past_the_horizon_is_410(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection, app: FastAPI
) -> None:
    bid = await log_bid(client, couple)
    cursor = (await page(client, couple, couple.first))["next_cursor"]
    assert (
        await client.delete(f"{couple.bids}/{bid['id']}", headers=couple.first.headers)
    ).status_code == 204
    after_delete = (await page(client, couple, couple.first, cursor=cursor))["next_cursor"]
    # Kept while younger than the horizon; gone once older.
    await purge_tombstones(app.state.database, datetime.now(UTC) + timedelta(days=179), 180)
    assert (await conn.execute(sa.text("SELECT count(*) FROM bids"))).scalar_one() == 1
    await purge_tombstones(app.state.database, datetime.now(UTC) + timedelta(days=181), 180)

    assert (await conn.execute(sa.text("SELECT count(*) FROM bids"))).scalar_one() == 0
    expired = await client.get(
        changes_of(couple), params={"cursor": cursor}, headers=couple.first.headers
    )
    assert expired.status_code == 410
    assert expired.json()["type"] == "urn:toward:problem:cursor-expired"
    # A cursor past the purged tombstone, and a sync from nothing, go on.
    assert count(await page(client, couple, couple.first, cursor=after_delete)) == 0
    assert (await page(client, couple, couple.first))["bids"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "nonsense"},
        {"cursor": "x" * 201},
        {"limit": 0},
        {"limit": 501},
        {"limit": "many"},
    ],
)
async def test_a_bad_cursor_or_limit_is_422_naming_it(
    client: httpx.AsyncClient, couple: Couple, params: dict[str, object]
) -> None:
    response = await client.get(changes_of(couple), params=params, headers=couple.first.headers)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [next(iter(params))]


async def test_another_couples_cursor_is_422_and_an_empty_one_is_none(
    client: httpx.AsyncClient, couple: Couple
) -> None:
    other = await make_couple(client)
    theirs = (await page(client, other, other.first))["next_cursor"]
    response = await client.get(
        changes_of(couple), params={"cursor": theirs}, headers=couple.first.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"
    assert (await page(client, couple, couple.first, cursor=""))["couple"]["id"] == couple.id


@pytest.mark.parametrize("ahead", [Position(10**6), Position(0, skip=10**6)])
async def test_a_cursor_ahead_of_the_server_is_410(
    client: httpx.AsyncClient, couple: Couple, ahead: Position
) -> None:
    """As after a restore from a backup: what the phone holds may never have been stored."""
    cursor = ahead.cursor(uuid.UUID(couple.id))
    response = await client.get(
        changes_of(couple), params={"cursor": cursor}, headers=couple.first.headers
    )
    assert response.status_code == 410


async def test_a_sync_from_nothing_passes_tombstones_purged_before_it(
    client: httpx.AsyncClient, couple: Couple, app: FastAPI
) -> None:
    """Purged tombstones are all below where a sync from nothing began: it goes on."""
    bids = [await log_bid(client, couple) for _ in range(6)]
    gone = await client.delete(f"{couple.bids}/{bids[0]['id']}", headers=couple.first.headers)
    assert gone.status_code == 204
    await log_bid(client, couple)
    await purge_tombstones(app.state.database, datetime.now(UTC) + timedelta(days=181), 180)

    phone = Replica()
    assert await phone.pull(client, couple, couple.first, limit=2) == 4
    assert len(phone.ids("bids")) == 6


async def test_the_feed_needs_a_login(client: httpx.AsyncClient, couple: Couple) -> None:
    response = await client.get(changes_of(couple))
    assert response.status_code == 401


async def test_another_couple_and_its_therapist_get_404(
    client: httpx.AsyncClient, couple: Couple, stranger: Person
) -> None:
    await log_bid(client, couple)
    therapist = await new_therapist(client)
    await grant_both(client, couple, therapist)

    for person in (stranger, therapist):
        response = await client.get(changes_of(couple), headers=person.headers)
        assert response.status_code == 404
        assert "bids" not in response.json()


async def test_a_feed_read_does_not_wait_for_a_writer(
    client: httpx.AsyncClient, couple: Couple, database_url: str, engine: AsyncEngine
) -> None:
    """On SQLite, a transaction that holds the write lock does not hold back a sync."""
    if database_url.startswith("postgres"):
        pytest.skip("PostgreSQL readers never wait for writers")
    async with engine.connect() as writer:
        await writer.begin()
        await writer.execute(sa.text("UPDATE couples SET name = 'held'"))
        answer = await asyncio.wait_for(page(client, couple, couple.first), 5)
        assert answer["couple"]["name"] != "held"
        await writer.rollback()
