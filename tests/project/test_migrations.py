"""The schema comes from migrations only: they run both ways and match the models."""

import asyncio
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from alembic import command
from api.core.db import create_engine
from models import metadata
from tests.migrations import alembic_config


def _inspect(url: str, inspect: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(url, poolclass=sa.pool.NullPool)
        async with engine.connect() as conn:
            result = await conn.run_sync(inspect)
        await engine.dispose()
        return result

    return asyncio.run(run())


def _table_names(url: str) -> set[str]:
    return _inspect(url, lambda sync: set(sa.inspect(sync).get_table_names()))


def _model_differences(url: str) -> list[Any]:
    def compare(sync: sa.Connection) -> list[Any]:
        context = MigrationContext.configure(sync, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    return _inspect(url, compare)


def test_upgrade_downgrade_upgrade_and_models_agree(empty_database: str) -> None:
    config = alembic_config(empty_database)

    command.upgrade(config, "head")
    assert set(metadata.tables) <= _table_names(empty_database)
    assert _model_differences(empty_database) == []

    command.downgrade(config, "base")
    assert _table_names(empty_database) <= {"alembic_version"}

    command.upgrade(config, "head")
    assert _model_differences(empty_database) == []


def test_every_constraint_is_named() -> None:
    for table in metadata.tables.values():
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}: {constraint}"
        for index in table.indexes:
            assert index.name, f"unnamed index on {table.name}"
