"""The Alembic configuration that migrates a test database, and work done on one
outside the app."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.db import create_engine
from tests.paths import ROOT


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


T = TypeVar("T")


def run_in_transaction(url: str, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """`work` in one transaction on the database at `url`, from synchronous code."""

    async def run() -> T:
        engine = create_engine(url, poolclass=sa.pool.NullPool)
        try:
            async with engine.begin() as conn:
                return await work(conn)
        finally:
            await engine.dispose()

    return asyncio.run(run())
