"""The suite's app is the server's: on PostgreSQL a bid written by a test goes through
the asyncpg pool and the write batcher, and a trends read through the driver's pool."""

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import Couple


async def test_a_test_writes_and_reads_through_the_servers_pools(
    app: FastAPI, client: httpx.AsyncClient, couple: Couple
) -> None:
    database = app.state.database
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one path: SQLAlchemy's")
    created = await client.post(couple.bids, json={"kind": "humor"}, headers=couple.first.headers)
    assert created.status_code == 201, created.text
    assert database.driver_pool is not None
    (batcher,) = database._batchers.values()
    assert batcher.pool is database.driver_pool
    assert database.driver_pool.get_size() >= 1  # opened on demand, by the batcher
    trends = await client.get(f"{couple.path}/trends/weekly", headers=couple.first.headers)
    assert trends.status_code == 200
    assert trends.json()["weeks"][-1]["bids"] == 1
