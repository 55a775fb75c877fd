"""Statements on the hot path, written once and run on the driver where it pays.

Measured on the bid write (CPU per call, one connection, PostgreSQL 15): SQLAlchemy
Core `insert()` inside begin/commit ~1,200 µs, a `text()` statement ~450 µs, the same
statement on asyncpg's own connection ~75 µs. So on PostgreSQL a `Statement` runs on
asyncpg directly, its parameters cast to their columns' types; on SQLite it runs
through SQLAlchemy with the same types. `Database.run` runs one as a transaction of its
own; `Statement.fetch` runs one inside the caller's transaction."""

import re
from collections.abc import Mapping, Sequence
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
        columns: Sequence[sa.ColumnElement[Any]] = (),
    ) -> None:
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
        self.clause = clause.columns(*columns) if columns else clause

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        return [values[name] for name in self.names]

    async def fetch(self, conn: AsyncConnection, **values: Any) -> list[Record]:
        """Run inside `conn`'s transaction."""
        if conn.dialect.name == "postgresql":
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            try:
                return list(await driver.fetch(self.postgresql, *self.arguments(values)))
            except DISCONNECTS:
                await conn.invalidate()  # SQLAlchemy did not see it fail: no reuse
                raise
        result = await conn.execute(self.clause, values)
        return [row._mapping for row in result]
