"""The database engine (built in the app's lifespan) and the request's transaction."""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncTransaction,
    create_async_engine,
)

from api.core.errors import busy
from api.core.sql import Batcher, Coalescer, Current, Overloaded, Record, RowsStatement, Statement
from models.calendar import week_start_of_stored
from models.vocabulary import effective_response


def async_url(database_url: str) -> str:
    """Accept plain `sqlite:///…` and `postgresql://…` URLs and choose the async driver."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported DATABASE_URL backend: {backend!r}")


def create_engine(database_url: str, pool_size: int = 10, **kwargs: Any) -> AsyncEngine:
    url = async_url(database_url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    if "poolclass" not in kwargs:
        # No overflow: connections opened and closed under load cost more than a wait.
        # Pre-ping: after a database restart, stale connections are replaced, not used.
        kwargs.update(pool_size=pool_size, max_overflow=0, pool_pre_ping=True)
    return create_async_engine(url, **kwargs)


# The execution option of a SQLite connection whose transactions only read.
READ_ONLY = "toward_read_only"


def _configure_sqlite(engine: AsyncEngine) -> None:
    """Foreign keys on, WAL, and `BEGIN IMMEDIATE`: a deferred transaction that reads
    and then writes fails at once when another writer got there first. SQLite has no
    `CREATE FUNCTION`: the functions that PostgreSQL's migrations create are registered
    here from their Python definitions."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()
        dbapi_connection.create_function(
            "toward_week_start", 3, week_start_of_stored, deterministic=True
        )
        dbapi_connection.create_function(
            "toward_effective_response", 2, effective_response, deterministic=True
        )

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        # An autocommit connection (a tool's, a test's) must not hold the write lock,
        # nor a snapshot read (`Database.snapshot`), which in WAL mode blocks no writer.
        if options.get("isolation_level") != "AUTOCOMMIT":
            connection.exec_driver_sql("BEGIN" if options.get(READ_ONLY) else "BEGIN IMMEDIATE")


def insert_or_skip(conn: AsyncConnection, table: sa.Table) -> Any:
    """`INSERT … ON CONFLICT DO NOTHING` in the connection's dialect: with `RETURNING`,
    no row back means a unique key was already taken, and nothing was aborted."""
    if conn.dialect.name == "postgresql":
        return pg_insert(table).on_conflict_do_nothing()
    return sqlite_insert(table).on_conflict_do_nothing()


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """asyncpg's default reset costs a round trip per release (RESET ALL, UNLISTEN *,
    ...). These connections only ever run single auto-committed statements: no session
    state, listeners, locks or cursors are left to reset."""


class Database:
    """Where request transactions come from; built in the app's lifespan. On
    PostgreSQL it also keeps a pool of asyncpg's own connections for the hot path's
    batched writes (api/core/sql.py): at most `write_queue_limit` rows wait for a batch, and
    a request waits at most `write_timeout` seconds for its row's commit."""

    def __init__(
        self,
        engine: AsyncEngine,
        driver_pool: asyncpg.Pool | None = None,
        *,
        write_queue_limit: int = 1000,
        write_timeout: float = 10.0,
    ) -> None:
        self.engine = engine
        self.driver_pool = driver_pool
        self.write_queue_limit = write_queue_limit
        self.write_timeout = write_timeout
        self._batchers: dict[RowsStatement, Batcher] = {}
        self._coalescer = Coalescer()

    @classmethod
    async def open(
        cls,
        database_url: str,
        pool_size: int,
        *,
        write_queue_limit: int = 1000,
        write_timeout: float = 10.0,
    ) -> "Database":
        engine = create_engine(database_url, pool_size=pool_size)
        driver_pool = None
        if engine.dialect.name == "postgresql":
            dsn = make_url(database_url).set(drivername="postgresql")
            # min_size 0: the app starts (and /readyz answers 503) while the database is down.
            driver_pool = await asyncpg.create_pool(
                dsn.render_as_string(hide_password=False),
                min_size=0,
                max_size=pool_size,
                reset=_keep_session,
            )
        return cls(
            engine,
            driver_pool,
            write_queue_limit=write_queue_limit,
            write_timeout=write_timeout,
        )

    async def close(self) -> None:
        for batcher in self._batchers.values():
            await batcher.close()
        if self.driver_pool is not None:
            await self.driver_pool.close()
        await self.engine.dispose()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[tuple[AsyncConnection, AsyncTransaction]]:
        async with self.engine.connect() as conn:
            yield conn, await conn.begin()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction whose statements all see one snapshot: REPEATABLE
        READ on PostgreSQL (a SQLite transaction always is one)."""
        async with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = await conn.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            else:
                conn = await conn.execution_options(**{READ_ONLY: True})
            trans = await conn.begin()
            try:
                yield conn
            finally:
                await trans.rollback()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A transaction committed when the block ends, rolled back when it raises."""
        async with self.begin() as (conn, trans):
            try:
                yield conn
            except BaseException:
                await trans.rollback()
                raise
            await trans.commit()

    async def fetch(self, statement: Statement, **values: Any) -> list[Record]:
        """A read in one statement, which sees one snapshot: on PostgreSQL straight on
        the driver's pool, with no transaction around it."""
        if self.driver_pool is None:
            async with self.begin() as (conn, trans):
                try:
                    return await statement.fetch(conn, **values)
                finally:
                    await trans.rollback()
        arguments = statement.arguments(values)
        return list(await self.driver_pool.fetch(statement.postgresql, *arguments))

    async def write(self, statement: Statement, **values: Any) -> list[Record]:
        """A write in one statement, as a transaction of its own: on PostgreSQL straight
        on the driver's pool."""
        if self.driver_pool is None:
            async with self.begin() as (conn, trans):
                found = await statement.fetch(conn, **values)
                await trans.commit()
            return found
        arguments = statement.arguments(values)
        return list(await self.driver_pool.fetch(statement.postgresql, *arguments))

    async def write_apart(self, statement: Statement, **values: Any) -> list[Record]:
        """`write`, on a connection of the request pool rather than the driver's: for a
        write that may wait for a lock (a couple's change stamp) and must not take one of
        the connections every request's hot-path statements share. On PostgreSQL the
        statement still runs on the driver, with no transaction around it: it commits
        on its own."""
        if self.driver_pool is None:
            return await self.write(statement, **values)
        async with self.engine.connect() as conn:
            return await statement.fetch(conn, **values)

    async def fetch_shared(
        self, statement: Statement, *, current: Current | None = None, **values: Any
    ) -> list[Record]:
        """`fetch`, shared with concurrent requests for the same values; with `current`,
        joining one running while it says so (api/core/sql.py)."""
        key = (statement, *values.items())
        return await self._coalescer.read(key, lambda: self.fetch(statement, **values), current)

    async def run_row(self, statement: RowsStatement, **values: Any) -> Record | None:
        """One request's row through a `RowsStatement`, as a transaction of its own. On
        PostgreSQL it joins the rows of concurrent requests: one round trip and one
        commit for all of them (api/core/sql.py); when the database does not keep up, a 503
        `busy` whose detail says whether the row may have been stored."""
        if self.driver_pool is None:
            async with self.begin() as (conn, trans):
                rows = await statement.single.fetch(conn, **values)
                await trans.commit()
            return rows[0] if rows else None
        batcher = self._batchers.get(statement)
        if batcher is None:
            batcher = self._batchers[statement] = Batcher(
                self.driver_pool,
                statement,
                limit=self.write_queue_limit,
                timeout=self.write_timeout,
            )
        try:
            return await batcher.submit(values)
        except Overloaded as error:
            raise busy(str(error)) from None

    async def run_rows(
        self, statement: RowsStatement, rows: Sequence[Mapping[str, Any]]
    ) -> list[Record]:
        """Many rows through a `RowsStatement` as a transaction of its own: on
        PostgreSQL in one statement."""
        if not rows:
            return []
        if self.driver_pool is not None:
            return list(await self.driver_pool.fetch(statement.batched, *statement.arrays(rows)))
        async with self.begin() as (conn, trans):
            found = await statement.fetch_many(conn, rows)
            await trans.commit()
        return found


async def transaction(request: Request) -> AsyncIterator[AsyncConnection]:
    """The request's one transaction: committed when the handler returns, rolled back
    when it raises."""
    database: Database = request.app.state.database
    async with database.transaction() as conn:
        yield conn


# Function scope: the commit happens before the response is sent, so a client never
# sees a success that was not stored.
Transaction = Annotated[AsyncConnection, Depends(transaction, scope="function")]


async def database(request: Request) -> Database:
    return request.app.state.database  # type: ignore[no-any-return]


# For a route that runs its statements on the database, each in a transaction of its
# own (`fetch`, `run_row`, `run_rows`) or in blocks it opens (`transaction()`).
DatabaseDep = Annotated[Database, Depends(database)]
