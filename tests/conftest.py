"""Tests run the app as production runs it, against a real database built by
`alembic upgrade head`: a PostgreSQL database of the session's own when
TEST_DATABASE_URL names a server, else a SQLite file. The app's lifespan opens its
pools (and, on PostgreSQL, the asyncpg pool and the write batcher that the bid write
goes through); requests commit for real. Each test starts on empty tables: on
PostgreSQL every table is truncated before it, on SQLite it gets a copy of the
freshly migrated file."""

import os
import secrets
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from alembic import command
from api.core.db import create_engine
from api.core.errors import path_pattern
from api.core.settings import Settings, get_settings
from api.main import create_app, provide

# Set before the settings are first read. Cheap Argon2id parameters: the suite hashes
# hundreds of passwords; and it registers them all from one address.
os.environ.setdefault("PASSWORD_HASH_TIME_COST", "1")
os.environ.setdefault("PASSWORD_HASH_MEMORY_KIB", "1024")
os.environ.setdefault("REGISTRATIONS_PER_CLIENT", "1000000")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def _admin_run(server_url: str, statement: str) -> None:
    import asyncio

    async def run() -> None:
        engine = create_engine(server_url)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(sa.text(statement))
        await engine.dispose()

    asyncio.run(run())


def _postgresql() -> bool:
    return os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new database at the migrations' head, for this test session."""
    given = os.environ.get("TEST_DATABASE_URL", "")
    if _postgresql():
        name = f"toward_test_{uuid.uuid4().hex[:12]}"
        server = given.rsplit("/", 1)[0] + "/postgres"
        url = given.rsplit("/", 1)[0] + f"/{name}"
        _admin_run(server, f'CREATE DATABASE "{name}"')
        # Commits need not wait for the disk: nothing a test asserts depends on it.
        _admin_run(server, f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        try:
            command.upgrade(alembic_config(url), "head")
            yield url
        finally:
            _admin_run(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'migrated.db'}"
        command.upgrade(alembic_config(url), "head")
        yield url


_KEEP = "alembic_version"


def _truncate_every_table(url: str) -> None:
    import asyncio

    async def run() -> None:
        engine = create_engine(url, poolclass=sa.pool.NullPool)
        async with engine.begin() as connection:
            names = (
                await connection.execute(
                    sa.text(
                        "SELECT tablename FROM pg_tables"
                        " WHERE schemaname = 'public' AND tablename <> :keep"
                    ),
                    {"keep": _KEEP},
                )
            ).scalars()
            tables = ", ".join(f'"{name}"' for name in names)
            await connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await engine.dispose()

    asyncio.run(run())


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    """The migrated database, with nothing in it yet."""
    if _postgresql():
        _truncate_every_table(migrated_database)
        return migrated_database
    copy = tmp_path / "test.db"
    shutil.copyfile(migrated_database.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database with no tables, for a test that runs migrations itself."""
    given = os.environ.get("TEST_DATABASE_URL", "")
    if not given.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"toward_migrations_{uuid.uuid4().hex[:12]}"
    server = given.rsplit("/", 1)[0]
    _admin_run(f"{server}/postgres", f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        _admin_run(f"{server}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[AsyncConnection]:
    """A connection of the test's own beside the app's, in autocommit: the app sees
    what it writes at once, and it sees what the app committed."""
    engine = create_engine(database_url, poolclass=sa.pool.NullPool)
    async with engine.connect() as connection:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")
    await engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return get_settings().model_copy(update={"database_url": database_url})


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with its lifespan run: its own pools, batcher and housekeeping."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


class Clock:
    """The auth service's idea of now, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("api.auth.service.utcnow", clock)
    return clock


@pytest.fixture
def configure(app: FastAPI) -> Callable[..., Settings]:
    """Change the app's settings for this test: `configure(max_body_bytes=2048)`."""

    def apply(**changes: Any) -> Settings:
        changed = app.state.settings.model_copy(update=changes)
        app.state.passwords.close()
        provide(app, changed)
        return changed

    return apply


def _documented_statuses(app: FastAPI) -> dict[tuple[str, str], set[str]]:
    spec = app.openapi()
    return {
        (path, method.upper()): set(operation["responses"])
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }


def _route_of(app: FastAPI, method: str, path: str) -> str | None:
    """The OpenAPI path of the operation that serves this request; a path made only of
    literal segments wins over a template (`/couples/join` over `/couples/{couple_id}`)."""
    matches = [
        template
        for template, methods in app.openapi()["paths"].items()
        if method.lower() in methods and path_pattern(template).match(path)
    ]
    return min(matches, key=lambda template: template.count("{"), default=None)


@asynccontextmanager
async def client_from(app: FastAPI, address: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    """A client calling from `address`, which fails the test when the API answers with
    a status its own OpenAPI document does not list for that operation."""
    documented = _documented_statuses(app)

    async def check_documented(response: httpx.Response) -> None:
        method = response.request.method
        route = _route_of(app, method, response.request.url.path)
        if route is None or (route, method) not in documented:
            return
        if str(response.status_code) not in documented[(route, method)]:
            raise AssertionError(
                f"{method} {route} answered {response.status_code}, "
                f"which its OpenAPI responses do not list"
            )

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        event_hooks={"response": [check_documented]},
    ) as http:
        yield http


def new_address() -> str:
    """An address no other test uses (a /64 of its own: the limits key on IPv6
    networks): some tests commit rows keyed by address."""
    number = uuid.uuid4().int
    return f"2001:db8:{number % 0xFFFF:x}:{(number >> 16) % 0xFFFF:x}::1"


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(app) as http:
        yield http


class Person:
    """A registered account with its token."""

    def __init__(self, user: dict[str, Any], tokens: dict[str, Any]) -> None:
        self.user = user
        self.tokens = tokens
        self.id: str = user["id"]
        self.headers = {"Authorization": f"Bearer {tokens['access_token']}"}


async def register(
    client: httpx.AsyncClient, name: str = "Sam", account_type: str = "partner", **extra: Any
) -> Person:
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.org"
    body = {
        "email": email,
        "password": PASSWORD,
        "display_name": name,
        "account_type": account_type,
        **extra,
    }
    created = await client.post("/api/v1/auth/register", json=body)
    assert created.status_code == 201, created.text
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return Person(created.json(), login.json())


class Couple:
    def __init__(self, data: dict[str, Any], first: Person, second: Person | None) -> None:
        self.data = data
        self.id: str = data["id"]
        self.first = first
        self.second = second

    @property
    def bids(self) -> str:
        return f"/api/v1/couples/{self.id}/bids"

    @property
    def path(self) -> str:
        return f"/api/v1/couples/{self.id}"


async def make_couple(client: httpx.AsyncClient, joined: bool = True, **body: Any) -> Couple:
    first = await register(client, "Ana")
    created = await client.post("/api/v1/couples", json=body, headers=first.headers)
    assert created.status_code == 201, created.text
    second = None
    if joined:
        second = await register(client, "Ben")
        join = await client.post(
            "/api/v1/couples/join",
            json={"code": created.json()["invite"]["code"]},
            headers=second.headers,
        )
        assert join.status_code == 200, join.text
    return Couple(created.json(), first, second)


@pytest.fixture
async def couple(client: httpx.AsyncClient) -> Couple:
    return await make_couple(client)


@pytest.fixture
async def stranger(client: httpx.AsyncClient) -> Person:
    """A partner of another couple."""
    other = await make_couple(client)
    return other.first


def assert_problem(
    response: httpx.Response, status: int, field: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    if field is not None:
        fields = [error["field"] for error in body["errors"]]
        assert field in fields, fields
    return body
