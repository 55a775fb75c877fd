"""The app as it runs in production: its own lifespan, its own pools (on PostgreSQL
the asyncpg pool that the bid write uses), committing for real to the test database."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.core.db import create_engine
from api.core.errors import Problem
from api.core.settings import Settings
from api.main import create_app
from api.therapists import grants as therapist_grants
from tests.factories import PASSWORD, new_address, partner_ids_of_a_new_couple, verify_email


@pytest.fixture
async def live_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # These tests race requests, not password hashes (tests/auth/test_password_flood.py).
    app: FastAPI = create_app(settings.model_copy(update={"password_hashes_in_flight": 64}))
    async with app.router.lifespan_context(app):
        # An address of its own: these tests commit rows that the limits count by address.
        transport = httpx.ASGITransport(app=app, client=(new_address(), 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://live") as client:
            yield client


async def _login(client: httpx.AsyncClient, name: str) -> dict[str, str]:
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.org"
    body = {"email": email, "password": PASSWORD, "display_name": name}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    tokens = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


async def test_bids_are_written_and_replayed_through_the_production_pools(
    live_client: httpx.AsyncClient,
) -> None:
    ana, ben = await _login(live_client, "Ana"), await _login(live_client, "Ben")
    couple = (await live_client.post("/api/v1/couples", json={}, headers=ana)).json()
    code = couple["invite"]["code"]
    assert (
        await live_client.post("/api/v1/couples/join", json={"code": code}, headers=ben)
    ).status_code == 200
    bids = f"/api/v1/couples/{couple['id']}/bids"
    body = {"id": str(uuid.uuid4()), "kind": "humor", "response": "toward"}

    created = await live_client.post(bids, json=body, headers=ana)
    replayed = await live_client.post(bids, json=body, headers=ana)
    clash = await live_client.post(bids, json={**body, "kind": "play"}, headers=ana)
    cy = await _login(live_client, "Cy")
    outsider = await live_client.post(bids, json={"kind": "humor"}, headers=cy)

    assert created.status_code == 201
    ben_id = (await live_client.get("/api/v1/me", headers=ben)).json()["id"]
    assert created.json()["responder_id"] == ben_id
    assert replayed.status_code == 200 and replayed.json() == created.json()
    assert clash.status_code == 409
    assert outsider.status_code == 404
    listed = (await live_client.get(bids, headers=ben)).json()["items"]
    assert [bid["id"] for bid in listed] == [body["id"]]


async def test_after_the_database_drops_its_connections_requests_recover(
    live_client: httpx.AsyncClient, database_url: str
) -> None:
    if not database_url.startswith("postgres"):
        pytest.skip("a PostgreSQL server restart is what this simulates")
    import asyncpg

    ana, ben = await _login(live_client, "Ana"), await _login(live_client, "Ben")
    couple = (await live_client.post("/api/v1/couples", json={}, headers=ana)).json()
    code = couple["invite"]["code"]
    await live_client.post("/api/v1/couples/join", json={"code": code}, headers=ben)
    bids = f"/api/v1/couples/{couple['id']}/bids"
    assert (await live_client.post(bids, json={"kind": "humor"}, headers=ana)).status_code == 201

    admin = await asyncpg.connect(database_url)
    await admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    await admin.close()

    statuses = [
        (await live_client.get(f"/api/v1/couples/{couple['id']}", headers=ana)).status_code,
        (await live_client.post(bids, json={"kind": "humor"}, headers=ana)).status_code,
        (await live_client.get(bids, headers=ben)).status_code,
    ]
    assert set(statuses) <= {200, 201, 503}, statuses  # never a 500
    assert (
        await live_client.get(f"/api/v1/couples/{couple['id']}", headers=ana)
    ).status_code == 200
    assert (await live_client.post(bids, json={"kind": "play"}, headers=ana)).status_code == 201


async def _couple(client: httpx.AsyncClient) -> tuple[dict[str, str], dict[str, str], str]:
    ana, ben = await _login(client, "Ana"), await _login(client, "Ben")
    couple = (await client.post("/api/v1/couples", json={}, headers=ana)).json()
    code = couple["invite"]["code"]
    await client.post("/api/v1/couples/join", json={"code": code}, headers=ben)
    return ana, ben, f"/api/v1/couples/{couple['id']}/bids"


async def test_racing_changes_without_if_match_all_apply(live_client: httpx.AsyncClient) -> None:
    import asyncio

    ana, ben, bids = await _couple(live_client)
    bid = (await live_client.post(bids, json={"kind": "humor"}, headers=ana)).json()
    url = f"{bids}/{bid['id']}"
    views = ["toward", "away", "against"]
    answers = await asyncio.gather(
        *(
            live_client.put(
                f"{url}/perception",
                json={"response": views[i % 3]},
                headers=ana if i % 2 else ben,
            )
            for i in range(12)
        ),
        *(live_client.patch(url, json={"note": f"n{i}"}, headers=ana) for i in range(6)),
    )
    assert [answer.status_code for answer in answers] == [200] * 18
    final = (await live_client.get(url, headers=ana)).json()
    assert len(final["perceptions"]) == 2
    assert final["note"] in {f"n{i}" for i in range(6)}


async def test_parallel_failed_logins_are_counted_like_sequential_ones(
    live_client: httpx.AsyncClient, settings: Settings
) -> None:
    import asyncio

    email = f"target-{uuid.uuid4().hex[:8]}@example.org"
    body = {"email": email, "password": PASSWORD, "display_name": "T"}
    await live_client.post("/api/v1/auth/register", json=body)
    limit = settings.login_failures_per_email
    answers = await asyncio.gather(
        *(
            live_client.post(
                "/api/v1/auth/login", json={"email": email, "password": "wrong-guess!"}
            )
            for _ in range(limit + 6)
        )
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [401] * limit + [429] * 6


async def test_parallel_creates_each_learn_their_own_outcome(
    live_client: httpx.AsyncClient,
) -> None:
    import asyncio

    ana, ben, bids = await _couple(live_client)
    cy = await _login(live_client, "Cy")
    same = {"id": str(uuid.uuid4()), "kind": "humor", "response": "toward"}
    distinct = [{"id": str(uuid.uuid4()), "kind": "play"} for _ in range(10)]
    answers = await asyncio.gather(
        *(live_client.post(bids, json=same, headers=ana) for _ in range(10)),
        *(live_client.post(bids, json=body, headers=ben) for body in distinct),
        live_client.post(bids, json={"kind": "help"}, headers=cy),
        live_client.post(bids, json={**same, "kind": "play"}, headers=ana),
    )
    statuses = [answer.status_code for answer in answers]
    assert sorted(statuses[:10]) == [200] * 9 + [201]
    assert statuses[10:20] == [201] * 10
    assert statuses[20] == 404  # not a partner
    assert statuses[21] == 409  # same id, another body
    listed = (await live_client.get(bids, params={"limit": 50}, headers=ana)).json()["items"]
    assert sorted(bid["id"] for bid in listed) == sorted([same["id"]] + [b["id"] for b in distinct])


async def test_a_bad_row_in_a_batch_fails_alone(database_url: str) -> None:
    """A row the database refuses (here a kind the API would never send) must not take
    the other rows of its batch down with it."""
    import asyncio

    from api.bids.service import _INSERT
    from api.core.db import Database
    from models.base import utcnow

    if not database_url.startswith("postgres"):
        pytest.skip("batches are a PostgreSQL path")
    database = await Database.open(database_url, pool_size=2)
    try:
        ids = await partner_ids_of_a_new_couple(database)
        now = utcnow()

        def row(kind: str) -> dict[str, object]:
            return {
                **dict.fromkeys(_INSERT.names),
                "id": uuid.uuid4(),
                "couple_id": ids[0],
                "caller_id": ids[1],
                "bidder_id": ids[1],
                "occurred_at": now,
                "kind": kind,
                "private": False,
                "repair": False,
                "request_digest": "0" * 64,
                "now": now,
            }

        good, bad = row("humor"), row("tickle")
        outcomes = await asyncio.gather(
            database.run_row(_INSERT, **good),
            database.run_row(_INSERT, **bad),
            return_exceptions=True,
        )
        assert outcomes[0] is not None and not isinstance(outcomes[0], BaseException)
        assert outcomes[0]["responder_id"] == ids[2]
        assert isinstance(outcomes[1], Exception) and "ck_bids_kind" in str(outcomes[1])
    finally:
        await database.close()


async def test_weeks_stay_exact_under_concurrent_writes_and_a_new_calendar(
    live_client: httpx.AsyncClient,
) -> None:
    """Batched creates and perception changes from both partners race a change of time
    zone and week start (which recounts the weeks); afterwards every week holds exactly
    its bids."""
    import asyncio
    from collections import Counter
    from datetime import UTC, datetime, timedelta

    from models import calendar

    ana, ben = await _login(live_client, "Ana"), await _login(live_client, "Ben")
    couple = (await live_client.post("/api/v1/couples", json={}, headers=ana)).json()
    code = couple["invite"]["code"]
    await live_client.post("/api/v1/couples/join", json={"code": code}, headers=ben)
    path = f"/api/v1/couples/{couple['id']}"
    now = datetime.now(UTC)
    responses = ["toward", "away", "against", None]

    async def create(number: int) -> None:
        body: dict[str, object] = {
            "kind": "humor",
            "occurred_at": (now - timedelta(hours=5 * number + 1)).isoformat(),
        }
        if responses[number % 4] is not None:
            body["response"] = responses[number % 4]
        created = await live_client.post(
            f"{path}/bids", json=body, headers=ana if number % 3 else ben
        )
        assert created.status_code == 201, created.text
        if number % 5 == 0:  # the other partner's view
            put = await live_client.put(
                f"{path}/bids/{created.json()['id']}/perception",
                json={"response": "toward"},
                headers=ben if number % 3 else ana,
            )
            assert put.status_code == 200, put.text

    async def recalendar() -> None:
        await asyncio.sleep(0.01)
        changed = await live_client.patch(
            path, json={"timezone": "America/New_York", "week_starts": "sunday"}, headers=ben
        )
        assert changed.status_code == 200, changed.text

    await live_client.get(f"{path}/trends/weekly", headers=ana)  # something to remember
    await asyncio.gather(*(create(number) for number in range(80)), recalendar())

    bids = (await live_client.get(f"{path}/bids?limit=200", headers=ana)).json()["items"]
    assert len(bids) == 80
    expected: Counter[tuple[str, str | None]] = Counter()
    for bid in bids:
        moment = datetime.fromisoformat(bid["occurred_at"])
        week = calendar.week_start(moment, "America/New_York", "sunday").isoformat()
        expected[(week, bid["response"])] += 1
    body = (await live_client.get(f"{path}/trends/weekly?weeks=6", headers=ana)).json()
    found: Counter[tuple[str, str | None]] = Counter()
    for week in body["weeks"]:
        for response in ("toward", "away", "against"):
            found[(week["week_start"], response)] += week[response]
        found[(week["week_start"], None)] += week["pending"]
    assert +found == expected


async def _therapist(client: httpx.AsyncClient) -> tuple[str, uuid.UUID]:
    """A therapist account: its email and id."""
    email = f"kim-{uuid.uuid4().hex[:8]}@example.org"
    body = {"email": email, "password": PASSWORD, "display_name": "Kim"}
    kim = await client.post("/api/v1/auth/register", json={**body, "account_type": "therapist"})
    await verify_email(client, email)
    return email, uuid.UUID(kim.json()["id"])


async def _granted_by_one(
    client: httpx.AsyncClient, therapist_email: str
) -> tuple[uuid.UUID, uuid.UUID, dict[str, str]]:
    """A couple whose first partner granted the therapist: its id, the id of its second
    partner (who has not), and the first partner's headers."""
    ana, ben = await _login(client, "Ana"), await _login(client, "Ben")
    couple = (await client.post("/api/v1/couples", json={}, headers=ana)).json()
    code = couple["invite"]["code"]
    await client.post("/api/v1/couples/join", json={"code": code}, headers=ben)
    grants = f"/api/v1/couples/{couple['id']}/therapists"
    await client.post(grants, json={"email": therapist_email}, headers=ana)
    ben_id = uuid.UUID((await client.get("/api/v1/me", headers=ben)).json()["id"])
    return uuid.UUID(couple["id"]), ben_id, ana


async def test_a_revocation_waits_for_a_grant_in_flight(
    live_client: httpx.AsyncClient, database_url: str
) -> None:
    """Partner A revokes while partner B's grant is still uncommitted: the revocation
    waits for it and removes it too, so B, told `awaiting_therapist`, is not left with
    a grant that a later grant by A alone would complete again."""
    kim_email, kim_id = await _therapist(live_client)
    couple_id, ben_id, ana = await _granted_by_one(live_client, kim_email)
    grants = f"/api/v1/couples/{couple_id}/therapists"

    engine = create_engine(database_url)
    try:
        async with engine.connect() as granting, engine.connect() as revoking:
            await granting.begin()
            granted, _ = await therapist_grants.grant(
                granting, couple_id, ben_id, kim_email, invitations_limit=50
            )
            assert granted.status == "awaiting_therapist"

            async def revoke() -> None:
                await revoking.begin()
                await therapist_grants.revoke(revoking, couple_id, kim_id)
                await revoking.commit()

            revocation = asyncio.create_task(revoke())
            await asyncio.sleep(0.3)  # the revocation is under way, waiting or not
            await granting.commit()
            await revocation
    finally:
        await engine.dispose()
    standing = (await live_client.get(grants, headers=ana)).json()["items"]
    assert standing == [], standing
    again = await live_client.post(grants, json={"email": kim_email}, headers=ana)
    assert again.json()["status"] == "pending"


async def test_grants_to_one_therapist_count_its_invitations_in_turn(
    live_client: httpx.AsyncClient, database_url: str
) -> None:
    """Two couples' second grants to one therapist, in flight together, with room for
    one couple more awaiting it: the later waits for the earlier to commit, counts it,
    and is refused, so no more couples await the therapist than the limit."""
    kim_email, _ = await _therapist(live_client)
    completing = [(await _granted_by_one(live_client, kim_email))[:2] for _ in range(2)]

    engine = create_engine(database_url)
    try:
        async with engine.connect() as earlier, engine.connect() as later:
            await earlier.begin()
            granted, _ = await therapist_grants.grant(
                earlier, *completing[0], kim_email, invitations_limit=1
            )
            assert granted.status == "awaiting_therapist"

            async def grant_later() -> Problem | None:
                await later.begin()
                try:
                    await therapist_grants.grant(
                        later, *completing[1], kim_email, invitations_limit=1
                    )
                except Problem as problem:
                    await later.rollback()
                    return problem
                await later.commit()
                return None

            refusal = asyncio.create_task(grant_later())
            await asyncio.sleep(0.3)
            assert not refusal.done()  # waiting for the earlier grant
            await earlier.commit()
            refused = await refusal
    finally:
        await engine.dispose()
    assert refused is not None and refused.code == "therapist-invitations-full"
    login = await live_client.post(
        "/api/v1/auth/login", json={"email": kim_email, "password": PASSWORD}
    )
    kim = {"Authorization": f"Bearer {login.json()['access_token']}"}
    invitations = (await live_client.get("/api/v1/therapist/invitations", headers=kim)).json()
    assert [item["couple_id"] for item in invitations["items"]] == [str(completing[0][0])]
