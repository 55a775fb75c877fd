"""The feed under concurrent writers, on PostgreSQL: a transaction that commits late is
never skipped, and a reader paging while both partners write gets every change once."""

import asyncio
import random
import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.activities.helpers import second
from tests.bids.helpers import log_bid
from tests.changes.helpers import Replica, count, page
from tests.factories import Couple, Person, register
from tests.locks import postgresql_only, waiting_for_locks

pytestmark = postgresql_only("SQLite has one writer at a time: nothing commits late")


async def _late_note(
    engine: AsyncEngine,
    bid_id: str,
    note: str,
    hold: asyncio.Event,
    held: asyncio.Event | None = None,
) -> None:
    """A change of a bid made outside the app, committed only once `hold` is set;
    `held` is set once it has its place."""
    async with engine.connect() as late:
        trans = await late.begin()
        await late.execute(
            sa.text(
                "UPDATE bids SET note = :note, version = version + 1,"
                " updated_at = clock_timestamp() WHERE id = :id"
            ),
            {"note": note, "id": uuid.UUID(bid_id)},
        )
        if held is not None:
            held.set()
        await hold.wait()
        await trans.commit()


async def test_a_change_committed_late_is_not_skipped(
    client: httpx.AsyncClient, couple: Couple, conn: AsyncConnection, engine: AsyncEngine
) -> None:
    bid = await log_bid(client, couple)
    phone = Replica()
    await phone.pull(client, couple, couple.first)

    release, held = asyncio.Event(), asyncio.Event()
    late = asyncio.create_task(_late_note(engine, bid["id"], "late", release, held))
    await held.wait()
    # The partner's create comes after the late change took its place: it waits for it.
    writer = asyncio.create_task(log_bid(client, couple, couple.second))
    await waiting_for_locks(conn)
    before = await page(client, couple, couple.first, cursor=phone.cursor)
    assert count(before) == 0
    assert not writer.done()

    release.set()
    await late
    new = await writer
    await phone.pull(client, couple, couple.first)

    assert phone.items["bids"][bid["id"]]["note"] == "late"
    assert new["id"] in phone.ids("bids")


async def _writer(client: httpx.AsyncClient, couple: Couple, seed: int, rounds: int) -> None:
    chooser = random.Random(seed)
    mine: list[str] = []
    for _ in range(rounds):
        person = chooser.choice([couple.first, second(couple)])
        action = chooser.choice(["create", "create", "batch", "edit", "delete", "perceive"])
        if action == "batch":
            items = [{"kind": "humor"} for _ in range(chooser.randint(2, 6))]
            stored = await client.post(
                f"{couple.bids}:batch", json={"items": items}, headers=person.headers
            )
            assert stored.status_code == 201, stored.text
            if person is couple.first:
                mine += [item["bid"]["id"] for item in stored.json()["items"]]
        elif action == "create" or not mine:
            bid = await log_bid(client, couple, person)
            if person is couple.first:
                mine.append(bid["id"])
        elif action == "edit":
            edited = await client.patch(
                f"{couple.bids}/{chooser.choice(mine)}",
                json={"note": uuid.uuid4().hex},
                headers=couple.first.headers,
            )
            assert edited.status_code in (200, 404), edited.text
        elif action == "delete":
            gone = mine.pop(chooser.randrange(len(mine)))
            deleted = await client.delete(f"{couple.bids}/{gone}", headers=couple.first.headers)
            assert deleted.status_code == 204, deleted.text
        else:
            given = await client.put(
                f"{couple.bids}/{chooser.choice(mine)}/perception",
                json={"response": chooser.choice(["toward", "away", "against"])},
                headers=second(couple).headers,
            )
            assert given.status_code in (200, 403, 404), given.text


async def _late_writers(engine: AsyncEngine, client: httpx.AsyncClient, couple: Couple) -> None:
    """Changes that each hold their place while the others write, then commit."""
    for round_ in range(4):
        bid = await log_bid(client, couple)
        release = asyncio.Event()
        late = asyncio.create_task(_late_note(engine, bid["id"], f"late {round_}", release))
        await asyncio.sleep(0.15)
        release.set()
        await late


async def _reader(client: httpx.AsyncClient, couple: Couple, phone: Replica, done: Any) -> None:
    while not done.is_set():
        await phone.pull(client, couple, couple.first, limit=5)
        await asyncio.sleep(0.005)


async def test_a_reader_paging_among_writers_gets_every_change_once(
    client: httpx.AsyncClient, couple: Couple, engine: AsyncEngine
) -> None:
    phone = Replica()
    done = asyncio.Event()
    reader = asyncio.create_task(_reader(client, couple, phone, done))
    await asyncio.gather(
        *(_writer(client, couple, seed, rounds=15) for seed in range(4)),
        _late_writers(engine, client, couple),
    )
    done.set()
    await reader
    await phone.pull(client, couple, couple.first, limit=5)

    server = Replica()
    await server.pull(client, couple, couple.first)
    assert phone.items == server.items
    assert phone.couple == server.couple
    # Each state of an item came once: a change hands out the item as it is, once.
    assert len(phone.received) == len(set(phone.received))
    assert {("late" in (bid["note"] or "")) for bid in phone.items["bids"].values()} == {
        True,
        False,
    }


async def _profile_changes(client: httpx.AsyncClient, person: Person, rounds: int) -> None:
    for round_ in range(rounds):
        me = await client.get("/api/v1/me", headers=person.headers)
        changed = await client.patch(
            "/api/v1/me",
            json={"display_name": f"Ana {round_}"},
            headers={**person.headers, "If-Match": me.headers["etag"]},
        )
        assert changed.status_code == 200, changed.text


async def _bids(client: httpx.AsyncClient, couple: Couple, person: Person, rounds: int) -> None:
    for _ in range(rounds):
        await log_bid(client, couple, person)
        stored = await client.post(
            f"{couple.bids}:batch", json={"items": [{"kind": "humor"}] * 3}, headers=person.headers
        )
        assert stored.status_code == 201, stored.text


async def test_profile_changes_beside_the_partners_writes_never_deadlock(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """A change of one's profile marks every couple of one's as changed (the partner
    shows in it): it takes those couples in the order every write takes them, and
    leaves writes that refer to one's account free to go on."""
    ana = await register(client, "Ana")
    couples = []
    for _ in range(2):
        created = await client.post("/api/v1/couples", json={}, headers=ana.headers)
        partner = await register(client, "Ben")
        joined = await client.post(
            "/api/v1/couples/join",
            json={"code": created.json()["invite"]["code"]},
            headers=partner.headers,
        )
        assert joined.status_code == 200
        couples.append(Couple(created.json(), ana, partner))

    await asyncio.gather(
        _profile_changes(client, ana, rounds=25),
        *(_bids(client, couple, second(couple), rounds=15) for couple in couples),
        *(_bids(client, couple, ana, rounds=10) for couple in couples),
    )
