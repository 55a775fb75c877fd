"""Statements on the hot path, written once and run on the driver where it pays.

Measured on the bid write (CPU per call, one connection, PostgreSQL 15): SQLAlchemy
Core `insert()` inside begin/commit ~1,200 µs, a `text()` statement ~450 µs, the same
statement on asyncpg's own connection ~75 µs. So on PostgreSQL a `Statement` runs on
asyncpg directly, its parameters cast to their columns' types; on SQLite it runs
through SQLAlchemy with the same types. `Database.fetch` and `Database.run_row` run
one as a transaction of its own; `Statement.fetch` runs one inside the caller's.

Past that, the bid write's cost was the database's: a commit per request. A
`RowsStatement` run through a `Batcher` takes the rows of concurrent requests in one
statement and one commit, and answers each request only once that commit is done
(`make bench`: the rate of bid writes went from ~2,400/s to ~3,700/s). Its queue is
bounded and its waits are timed, so a slow database gets requests a quick 503, not a
hang.

Reads that every request of a route makes, such as a trends read's state lookup, go
through a `Coalescer`: concurrent requests for the same row share one statement."""

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

# A result row by column name: asyncpg's Record or SQLAlchemy's RowMapping.
Record = Mapping[Any, Any]

# What a lost or refused database connection raises, from the driver or from SQLAlchemy.
DISCONNECTS: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,
)

_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")
_POSTGRESQL = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]


class Statement:
    def __init__(
        self,
        sql: str,
        parameters: Mapping[str, sa.types.TypeEngine[Any]],
        result_types: Mapping[str, sa.types.TypeEngine[Any]] | None = None,
    ) -> None:
        """`result_types`: the result columns, by name, whose values SQLite returns in
        a form that needs converting (times, dates, UUIDs)."""
        self.names = list(dict.fromkeys(_PARAMETER.findall(sql)))
        missing = set(self.names) - set(parameters)
        if missing:
            raise ValueError(f"no type given for parameters {sorted(missing)}")

        def positional(match: re.Match[str]) -> str:
            name = match.group(1)
            pg_type = parameters[name].compile(dialect=_POSTGRESQL)
            return f"${self.names.index(name) + 1}::{pg_type}"

        self.postgresql = _PARAMETER.sub(positional, sql)
        clause = sa.text(sql).bindparams(
            *(sa.bindparam(name, type_=parameters[name]) for name in self.names)
        )
        self.clause = clause.columns(**result_types) if result_types else clause

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        return [values[name] for name in self.names]

    async def fetch(self, conn: AsyncConnection, **values: Any) -> list[Record]:
        """Run inside `conn`'s transaction."""
        if conn.dialect.name == "postgresql":
            return await _on_driver(conn, self.postgresql, self.arguments(values))
        result = await conn.execute(self.clause, values)
        return [row._mapping for row in result]


@dataclass(frozen=True)
class IdList:
    """A list of ids as one parameter: an array on PostgreSQL, a JSON list on SQLite
    (which keeps UUIDs as 32 hex digits)."""

    _condition: str
    _relation: str
    type: sa.types.TypeEngine[Any]

    def condition(self, name: str) -> str:
        """To follow a column: `couple_id {condition}`."""
        return self._condition.format(name=name)

    def relation(self, name: str) -> str:
        """A relation `ids` of the ids, as column `id`."""
        return self._relation.format(name=name)

    def of(self, ids: Sequence[uuid.UUID]) -> object:
        """The parameter's value."""
        if isinstance(self.type, postgresql.ARRAY):
            return list(ids)
        return json.dumps([each.hex for each in ids])


ID_LISTS = {
    "postgresql": IdList(
        "= ANY(:{name})", "unnest(:{name}) AS ids (id)", postgresql.ARRAY(sa.Uuid())
    ),
    "sqlite": IdList(
        "IN (SELECT value FROM json_each(:{name}))",
        "(SELECT value AS id FROM json_each(:{name})) AS ids",
        sa.String(),
    ),
}


async def _on_driver(conn: AsyncConnection, sql: str, arguments: list[Any]) -> list[Record]:
    """Run on asyncpg's connection under `conn`, inside its transaction."""
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    adapter: Any = raw.dbapi_connection
    if conn.in_transaction() and adapter._transaction is None:
        # SQLAlchemy's adapter sends BEGIN with the first statement it runs, and this
        # one goes past it: begin as it would, or a write here would commit on its own
        # and outlive the transaction's rollback.
        await adapter._start_transaction()
    try:
        return list(await driver.fetch(sql, *arguments))
    except DISCONNECTS:
        await conn.invalidate()  # SQLAlchemy did not see it fail: no reuse
        raise


SQLITE_ROWS = 200


class RowsStatement:
    """A statement that reads its input rows from `{rows}`, a relation named `rows_`
    with the columns given. One request's row goes in as a single-row `Statement` (any engine); on
    PostgreSQL, the rows of concurrent requests can also go in together, as arrays
    through `unnest`, in one round trip and one commit (`Batcher`)."""

    def __init__(
        self,
        template: str,
        columns: Mapping[str, sa.types.TypeEngine[Any]],
        result_types: Mapping[str, sa.types.TypeEngine[Any]],
        key: str,
        group: str | None = None,
    ) -> None:
        self.names = list(columns)
        self.key = key
        self.group = group
        self.template = template
        self.columns = columns
        self.result_types = result_types
        self.single = self._selects(1)
        arrays = ", ".join(
            f"${position}::{columns[name].compile(dialect=_POSTGRESQL)}[]"
            for position, name in enumerate(self.names, start=1)
        )
        self.batched = template.format(rows=f"unnest({arrays}) AS rows_({', '.join(self.names)})")

    def arrays(self, rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
        """The rows as one array per column: the parameters of `batched`."""
        return [[row[name] for row in rows] for name in self.names]

    def _selects(self, count: int) -> Statement:
        """The statement for `count` rows given as `SELECT`s of parameters: the only
        form SQLite, which has no arrays, takes."""
        if count == 1:
            rows = ", ".join(f":{name} AS {name}" for name in self.names)
            return Statement(
                self.template.format(rows=f"(SELECT {rows}) AS rows_"),
                self.columns,
                self.result_types,
            )
        selects = " UNION ALL ".join(
            "SELECT " + ", ".join(f":{name}_{index} AS {name}" for name in self.names)
            for index in range(count)
        )
        return Statement(
            self.template.format(rows=f"({selects}) AS rows_"),
            {
                f"{name}_{index}": self.columns[name]
                for name in self.names
                for index in range(count)
            },
            self.result_types,
        )

    async def fetch_many(
        self, conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]
    ) -> list[Record]:
        """All the rows in one statement inside `conn`'s transaction (on SQLite, one per
        `SQLITE_ROWS` rows: it caps a compound SELECT at 500 terms)."""
        if conn.dialect.name == "postgresql":
            return await _on_driver(conn, self.batched, self.arrays(rows))
        found: list[Record] = []
        for start in range(0, len(rows), SQLITE_ROWS):
            chunk = rows[start : start + SQLITE_ROWS]
            if len(chunk) == 1:
                found.extend(await self.single.fetch(conn, **chunk[0]))
                continue
            values = {
                f"{name}_{index}": row[name]
                for index, row in enumerate(chunk)
                for name in self.names
            }
            found.extend(await self._selects(len(chunk)).fetch(conn, **values))
        return found


class Overloaded(Exception):
    """A `Batcher` refused a row, or stopped waiting for its commit: the database is
    not keeping up. The message says whether the row may have been stored."""


NOT_SENT = "The database is not keeping up with writes; nothing was stored. Try again shortly."
MAYBE_STORED = (
    "The database did not answer in time; the write may or may not have been stored."
    " A create retried with the same `id` is stored once."
)

# A request's row and where its outcome goes.
Submitted = tuple[dict[str, Any], "asyncio.Future[Record | None]"]


class Batcher:
    """Feeds one `RowsStatement` with the rows that requests submit: whatever arrived
    while the previous batch ran goes in the next. Each request waits for the commit of
    its own batch, so an answer still means a stored row. A row whose key is already in
    the batch waits for the next one, so each request learns its own outcome.

    A slow database must not make requests pile up or hang: at most `limit` rows wait
    for a batch (past that a row is refused at once), and a request waits at most
    `timeout` seconds. A row whose request gave up while it waited is taken out and
    never sent; one whose batch was already sent may still be stored, so its request
    is not told it was: a retry with the same key finds the stored row when the key is
    unique in its table (the bid insert then returns no row: a replay).

    Of a statement with a `group` (a bid's couple), a batch holds rows of groups no
    other batch being sent holds: the rest wait for the next, and go in it together."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        statement: RowsStatement,
        *,
        limit: int,
        timeout: float,
        flushers: int = 2,
    ) -> None:
        self.pool = pool
        self.statement = statement
        self.limit = limit
        self.timeout = timeout
        # Insertion-ordered, so rows go in the order they came; keyed by the request's
        # future, so a request that gives up takes its row out in one step.
        self.pending: dict[asyncio.Future[Record | None], dict[str, Any]] = {}
        # The statement's groups (`RowsStatement.group`) in the batches being sent.
        self.in_flight: set[Any] = set()
        self.arrived = asyncio.Event()
        self.flushers = [asyncio.create_task(self._flush_forever()) for _ in range(flushers)]

    async def submit(self, values: dict[str, Any]) -> Record | None:
        """The row the statement returned for these values, or None. `Overloaded` when
        `limit` rows are waiting already, or when no commit came within `timeout`."""
        if len(self.pending) >= self.limit:
            raise Overloaded(NOT_SENT)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Record | None] = loop.create_future()
        self.pending[future] = values
        self.arrived.set()
        # A timer on the future, not `asyncio.timeout` around the wait: about half its
        # cost per request, and the request's task is never cancelled.
        expiry = loop.call_later(self.timeout, self._expire, future)
        try:
            return await future
        finally:
            expiry.cancel()
            # A request cancelled while queued (its client left) takes its row along.
            self.pending.pop(future, None)

    def _expire(self, future: "asyncio.Future[Record | None]") -> None:
        if future.done():
            return
        if self.pending.pop(future, None) is not None:
            future.set_exception(Overloaded(NOT_SENT))
        else:
            # Its batch was sent and may yet commit; the flusher ignores a done future.
            future.set_exception(Overloaded(MAYBE_STORED))

    async def close(self) -> None:
        for task in self.flushers:
            task.cancel()
        await asyncio.gather(*self.flushers, return_exceptions=True)

    def _take(self) -> tuple[list[Submitted], set[Any]]:
        """The next batch, and its groups. A row of a group in a batch being sent waits
        for the next: writers of one group (a couple's bids) take its lock in turn
        (alembic/versions/0008), so two batches of it at once would only wait for
        each other, and rows that wait for one batch go in the next together."""
        key, group = self.statement.key, self.statement.group
        batch: list[Submitted] = []
        later: dict[asyncio.Future[Record | None], dict[str, Any]] = {}
        seen: set[Any] = set()
        groups: set[Any] = set()
        for future, values in self.pending.items():
            if future.done():
                continue  # its request gave up or was cancelled
            if values[key] in seen or (group is not None and values[group] in self.in_flight):
                later[future] = values
            else:
                batch.append((values, future))
                seen.add(values[key])
                if group is not None:
                    groups.add(values[group])
        self.pending = later
        self.in_flight |= groups
        if later and batch:
            self.arrived.set()
        return batch, groups

    async def _flush_forever(self) -> None:
        while True:
            await self.arrived.wait()
            self.arrived.clear()
            batch, groups = self._take()
            if not batch:
                continue
            try:
                # Every request in the batch came before it started, so past `timeout`
                # none is still waiting: stop, and free the flusher for the next batch.
                # Cancelling the statement rolls it back unless it had just committed.
                async with asyncio.timeout(self.timeout):
                    await self._flush(batch)
            except TimeoutError:
                _fail(batch, Overloaded(MAYBE_STORED))
            except Exception as error:  # a flusher outlives any one batch
                _fail(batch, error)
            finally:
                self.in_flight -= groups
                if self.pending:
                    self.arrived.set()

    async def _flush(self, batch: list[Submitted]) -> None:
        key = self.statement.key
        try:
            records = await self.pool.fetch(
                self.statement.batched, *self.statement.arrays([values for values, _ in batch])
            )
        except DISCONNECTS as error:
            _fail(batch, error)
            return
        except Exception:
            # One bad row must not fail the others: each goes again on its own, unless
            # its request has given up meanwhile.
            await asyncio.gather(
                *(self._one(values, future) for values, future in batch if not future.done())
            )
            return
        by_key = {record[key]: record for record in records}
        for values, future in batch:
            if not future.done():
                future.set_result(by_key.get(values[key]))

    async def _one(self, values: dict[str, Any], future: asyncio.Future[Record | None]) -> None:
        single = self.statement.single
        try:
            records = await self.pool.fetch(single.postgresql, *single.arguments(values))
        except Exception as error:
            if not future.done():
                future.set_exception(error)
            return
        if not future.done():
            future.set_result(records[0] if records else None)


def _fail(batch: list[Submitted], error: Exception) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)


class Current:
    """When a running read is still as good as a new one: `mark` is taken before it is sent,
    `holds(mark)` asks whether nothing it may have missed has happened since (None:
    nothing is known, so no read is joined)."""

    def __init__(self, mark: Callable[[], Any], holds: Callable[[Any], bool]) -> None:
        self.mark = mark
        self._holds = holds

    def holds(self, mark: Any) -> bool:
        return mark is not None and self._holds(mark)


class Coalescer:
    """Concurrent reads of the same thing share one statement: a read that arrives
    while another of the same key runs waits for the next one, which starts after it
    arrived, so it still sees every write that finished before it asked.

    A read may instead join the one running when its caller says that one is still
    current (`Current`): for reads that trust what this worker has heard of changes
    (api/core/notices.py), a statement that began after the last change heard sees
    every change a statement begun now would."""

    def __init__(self) -> None:
        self._waiting: dict[Any, list[asyncio.Future[list[Record]]]] = {}
        self._running: dict[Any, tuple[list[asyncio.Future[list[Record]]], Any]] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak ones

    async def read(
        self,
        key: Any,
        fetch: Callable[[], Awaitable[list[Record]]],
        current: Current | None = None,
    ) -> list[Record]:
        future: asyncio.Future[list[Record]] = asyncio.get_running_loop().create_future()
        running = self._running.get(key)
        if running is not None and current is not None and current.holds(running[1]):
            running[0].append(future)
            return await future
        self._waiting.setdefault(key, []).append(future)
        if key not in self._running:
            self._running[key] = ([], None)
            task = asyncio.get_running_loop().create_task(self._run(key, fetch, current))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _run(
        self, key: Any, fetch: Callable[[], Awaitable[list[Record]]], current: Current | None
    ) -> None:
        try:
            while waiting := self._waiting.pop(key, None):
                # Taken before the statement is sent: a change heard after may not be in it.
                self._running[key] = (waiting, None if current is None else current.mark())
                try:
                    result = await fetch()
                except Exception as error:
                    for future in waiting:
                        if not future.done():
                            future.set_exception(error)
                except BaseException:
                    for future in waiting:  # shutting down: nobody is left waiting
                        future.cancel()
                    raise
                else:
                    for future in waiting:
                        if not future.done():
                            future.set_result(result)
        finally:
            del self._running[key]
