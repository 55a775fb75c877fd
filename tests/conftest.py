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
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from alembic import command
from api.core.db import create_engine
from api.core.settings import Settings
from api.main import create_app, provide
from tests import mail
from tests.clock import Clock
from tests.factories import Couple, Person, make_couple
from tests.http import client_from
from tests.migrations import alembic_config

# Property tests check what is computed, not how fast: an example slowed by a busy
# machine (the first one, say, while caches fill) is not a failure.
hypothesis.settings.register_profile("toward", deadline=None)
hypothesis.settings.load_profile("toward")

# Set before the settings are first read. Cheap Argon2id parameters: the suite hashes
# hundreds of passwords; and it registers them all from one address.
os.environ.setdefault("PASSWORD_HASH_TIME_COST", "1")
os.environ.setdefault("PASSWORD_HASH_MEMORY_KIB", "1024")
os.environ.setdefault("REGISTRATIONS_PER_CLIENT", "1000000")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))


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
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine of the test's own beside the app's, with no pool: for transactions held
    open while the app's requests run (locks, late commits)."""
    made = create_engine(database_url, poolclass=sa.pool.NullPool)
    yield made
    await made.dispose()


@pytest.fixture(scope="session")
def smtp_port() -> Iterator[int]:
    """The session's SMTP server (tests/mail.py), which every app under test mails to."""
    yield from mail.serve()


@pytest.fixture
def settings(database_url: str, smtp_port: int) -> Settings:
    # The environment's, never a developer's `.env`: the suite runs as CI runs it.
    return Settings(_env_file=None).model_copy(
        update={
            "database_url": database_url,
            "mail_backend": "smtp",
            "mail_host": "127.0.0.1",
            "mail_port": smtp_port,
            "mail_security": "none",
            "mail_retry_seconds": 0.05,
        }
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with its lifespan run: its own pools, batcher and housekeeping."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("api.auth.service.utcnow", clock)
    return clock


@pytest.fixture
def configure(app: FastAPI) -> Callable[..., Settings]:
    """Change the app's settings for this test: `configure(max_body_bytes=2048)`. Only
    what requests read: the database and housekeeping keep those they started with."""

    def apply(**changes: Any) -> Settings:
        started = {"database_url", "db_pool_size", "write_queue_limit", "write_timeout_seconds"}
        refused = set(changes) & (started | {"housekeeping_seconds"})
        assert not refused, f"set when the app starts, not by configure: {sorted(refused)}"
        changed = app.state.settings.model_copy(update=changes)
        app.state.passwords.close()
        provide(app, changed)
        return changed

    return apply


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(app) as http:
        yield http


@pytest.fixture
async def couple(client: httpx.AsyncClient) -> Couple:
    return await make_couple(client)


@pytest.fixture
async def stranger(client: httpx.AsyncClient) -> Person:
    """A partner of another couple."""
    other = await make_couple(client)
    return other.first
