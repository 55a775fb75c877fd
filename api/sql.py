"""Statements on the hot paths, written once and run on the driver where it pays.

Measured on the bid write (CPU per call, one connection, PostgreSQL 15): SQLAlchemy
Core `insert()` inside begin/commit ~1,200 µs, a `text()` statement ~450 µs, the same
statement on asyncpg's own connection ~75 µs. So on PostgreSQL these statements run on
asyncpg directly; on SQLite they run through SQLAlchemy with the columns' types.

Outside a transaction the SQLAlchemy connection has begun lazily (asyncpg sends BEGIN
on the first statement SQLAlchemy executes), so a lone driver statement commits by
itself, with no BEGIN/COMMIT round trips; inside one, it takes part in it."""

import re
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

# A result row by column name: asyncpg's Record or SQLAlchemy's RowMapping.
Record = Mapping[Any, Any]

_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


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
        self.postgresql = _PARAMETER.sub(lambda m: f"${self.names.index(m.group(1)) + 1}", sql)
        clause = sa.text(sql).bindparams(
            *(sa.bindparam(name, type_=parameters[name]) for name in self.names)
        )
        self.clause = clause.columns(*columns) if columns else clause

    async def fetch(self, conn: AsyncConnection, **values: Any) -> list[Record]:
        if conn.dialect.name == "postgresql":
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            records = await driver.fetch(self.postgresql, *(values[name] for name in self.names))
            return list(records)
        result = await conn.execute(self.clause, values)
        return [row._mapping for row in result]

    async def first(self, conn: AsyncConnection, **values: Any) -> Record | None:
        rows = await self.fetch(conn, **values)
        return rows[0] if rows else None
