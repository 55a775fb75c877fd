"""A flood of registrations and logins, hashed at production cost, through the app as
it runs (its lifespan, its pools): no request holds a database connection while its
password is hashed, hashes in flight stay bounded, and another client's bid lists all
succeed meanwhile."""

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from api.core.settings import Settings, get_settings
from api.main import create_app
from tests.factories import PASSWORD

FLOODERS = 40
ROUNDS = 4
LISTS_BEFORE = 20

# The database connections the current request holds, counted by the pool's own
# checkout and checkin events.
HELD: ContextVar[list[int]] = ContextVar("held")


def _production(name: str) -> Any:
    return Settings.model_fields[name].default


class WatchedHasher:
    """The app's hasher, recording at each hash what its request holds."""

    def __init__(self, hasher: Any) -> None:
        self.hasher = hasher
        self.held_while_hashing: list[int] = []
        self.running = 0
        self.most_running = 0

    def _watch(self, work: Callable[..., Any], *arguments: str) -> Any:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        self.held_while_hashing.append(HELD.get()[0])
        try:
            return work(*arguments)
        finally:
            self.held_while_hashing.append(HELD.get()[0])
            self.running -= 1

    def hash(self, password: str) -> str:
        return str(self._watch(self.hasher.hash, password))

    def verify(self, password: str, password_hash: str) -> bool:
        return bool(self._watch(self.hasher.verify, password, password_hash))


def _tagged(app: Any) -> Callable[..., Awaitable[None]]:
    async def each_request_counts_its_own(scope: Any, receive: Any, send: Any) -> None:
        token = HELD.set([0])
        try:
            await app(scope, receive, send)
        finally:
            HELD.reset(token)

    return each_request_counts_its_own


def _count_connections(engine: Any) -> None:
    def checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
        held = HELD.get(None)
        if held is not None:
            held[0] += 1
            record.info["held"] = held

    def checkin(_dbapi: Any, record: Any) -> None:
        held = record.info.pop("held", None)
        if held is not None:
            held[0] -= 1

    event.listen(engine.sync_engine, "checkout", checkout)
    event.listen(engine.sync_engine, "checkin", checkin)


async def test_a_flood_of_password_hashes_holds_no_connection_and_starves_no_route(
    database_url: str,
) -> None:
    if not database_url.startswith("postgres"):
        pytest.skip("the pools whose starvation this shows are PostgreSQL's")
    settings = get_settings().model_copy(
        update={
            "database_url": database_url,
            "db_pool_size": 4,
            **{
                name: _production(name)
                for name in (
                    "password_hash_time_cost",
                    "password_hash_memory_kib",
                    "password_hashes_in_flight",
                    "registrations_per_client",
                    "login_failures_per_client",
                )
            },
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        watched = WatchedHasher(app.state.passwords.hasher)
        app.state.passwords.hasher = watched
        _count_connections(app.state.database.engine)

        def client_from(address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=_tagged(app), client=(address, 40000))
            return httpx.AsyncClient(transport=transport, base_url="http://flood")

        async with client_from("192.0.2.1") as partner:
            bids = await _couple_with_bids(partner)
            before = [await _timed_list(partner, bids) for _ in range(LISTS_BEFORE)]
            flood_done = asyncio.Event()
            during: list[tuple[int, float]] = []

            async def list_until_the_flood_ends() -> None:
                while not flood_done.is_set():
                    during.append(await _timed_list(partner, bids))

            async def flood() -> list[int]:
                try:
                    rounds = await asyncio.gather(
                        *(_flooder(client_from, number) for number in range(FLOODERS))
                    )
                finally:
                    flood_done.set()
                return [status for statuses in rounds for status in statuses]

            lister = asyncio.create_task(list_until_the_flood_ends())
            flooded = await flood()
            await lister

        engine = app.state.database.engine
        driver_pool = app.state.database.driver_pool
        assert engine.pool.checkedout() == 0
        assert driver_pool.get_size() - driver_pool.get_idle_size() == 0

    assert [status for status, _ in during] == [200] * len(during)
    assert len(during) >= 5
    assert watched.held_while_hashing, "no password was hashed"
    assert set(watched.held_while_hashing) == {0}, "a request held a connection while hashing"
    assert watched.most_running <= settings.password_hashes_in_flight
    assert set(flooded) <= {201, 401, 409, 429, 503}, sorted(set(flooded))
    assert {201, 401, 503} <= set(flooded)
    _report(before, during, flooded, watched)


async def _couple_with_bids(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    tokens = []
    for name in ("Ana", "Ben"):
        email = f"{name}-{uuid.uuid4().hex[:8]}@example.org"
        body = {"email": email, "password": PASSWORD, "display_name": name}
        assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        tokens.append({"Authorization": f"Bearer {login.json()['access_token']}"})
    couple = (await client.post("/api/v1/couples", json={}, headers=tokens[0])).json()
    joined = await client.post(
        "/api/v1/couples/join", json={"code": couple["invite"]["code"]}, headers=tokens[1]
    )
    assert joined.status_code == 200
    path = f"/api/v1/couples/{couple['id']}/bids"
    for kind in ("humor", "support", "play"):
        assert (await client.post(path, json={"kind": kind}, headers=tokens[0])).status_code == 201
    return path, tokens[1]


async def _timed_list(
    client: httpx.AsyncClient, bids: tuple[str, dict[str, str]]
) -> tuple[int, float]:
    started = time.perf_counter()
    response = await client.get(bids[0], headers=bids[1])
    return response.status_code, time.perf_counter() - started


async def _flooder(client_from: Callable[[str], httpx.AsyncClient], number: int) -> list[int]:
    """One address registering accounts and failing their logins, as fast as it is
    answered, ignoring `Retry-After`."""
    statuses = []
    async with client_from(f"198.51.100.{number + 1}") as client:
        for round_ in range(ROUNDS):
            email = f"flood-{number}-{round_}-{uuid.uuid4().hex[:6]}@example.org"
            body = {"email": email, "password": PASSWORD, "display_name": "Flood"}
            statuses.append((await client.post("/api/v1/auth/register", json=body)).status_code)
            wrong = {"email": email, "password": "not the password"}
            statuses.append((await client.post("/api/v1/auth/login", json=wrong)).status_code)
    return statuses


def _report(
    before: list[tuple[int, float]],
    during: list[tuple[int, float]],
    flooded: list[int],
    watched: WatchedHasher,
) -> None:
    def summary(latencies: list[float]) -> str:
        ordered = sorted(latencies)
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
        return (
            f"n={len(ordered)} median={statistics.median(ordered) * 1000:.1f} ms"
            f" p95={p95 * 1000:.1f} ms max={ordered[-1] * 1000:.1f} ms"
        )

    counts = {status: flooded.count(status) for status in sorted(set(flooded))}
    print(
        f"\nbid lists before the flood: {summary([s for _, s in before])}"
        f"\nbid lists during the flood: {summary([s for _, s in during])}"
        f"\nflood answers: {counts}; hashes: {len(watched.held_while_hashing) // 2},"
        f" at most {watched.most_running} at once"
    )
