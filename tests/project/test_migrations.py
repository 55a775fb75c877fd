"""The schema comes from migrations only: they run both ways and match the models."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncConnection

from alembic import command
from api.core.db import create_engine
from models import metadata
from tests.migrations import alembic_config, run_in_transaction


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


_TRIGGERS = {
    "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
}
_ROLLUP_TRIGGERS = {f"bid_weeks_on_{event}" for event in ("insert", "update", "delete")}
_HABIT_TRIGGERS = {
    "postgresql": {
        f"{rollup}_on_{event}"
        for rollup in ("checkin_weeks", "activity_weeks")
        for event in ("write", "new_calendar")
    },
    "sqlite": {
        f"{rollup}_on_{event}"
        for rollup in ("checkin_weeks", "activity_weeks")
        for event in ("insert", "update", "delete", "new_calendar")
    },
}


def _triggers(url: str) -> set[str]:
    def names(sync: sa.Connection) -> set[str]:
        return set(sync.execute(sa.text(_TRIGGERS[sync.dialect.name])).scalars())

    return _inspect(url, names)


def test_the_rollup_triggers_are_there_at_head(empty_database: str) -> None:
    """A batch migration on SQLite that copies a table drops its triggers: a later one
    that forgets to make them again fails here."""
    command.upgrade(alembic_config(empty_database), "head")
    assert _ROLLUP_TRIGGERS | {"bid_weeks_on_new_calendar"} <= _triggers(empty_database)
    dialect = "postgresql" if empty_database.startswith("postgres") else "sqlite"
    assert _HABIT_TRIGGERS[dialect] <= _triggers(empty_database)
    if dialect == "postgresql":
        written = {
            f"{rollup}_written" for rollup in ("bid_weeks", "checkin_weeks", "activity_weeks")
        }
        assert written <= _triggers(empty_database)


def _rows(now: datetime) -> dict[str, list[dict[str, Any]]]:
    users = [
        {
            "id": uuid.uuid4(),
            "email": f"{uuid.uuid4().hex[:8]}@example.org",
            "password_hash": "x",
            "display_name": name,
            "timezone": "UTC",
            "account_type": "partner",
            "love_languages": {},
            "created_at": now,
            "updated_at": now,
        }
        for name in ("Ana", "Ben")
    ]
    couple_id = uuid.uuid4()
    views = [
        ("toward", None),
        (None, "away"),
        ("against", "toward"),
        (None, None),
        ("away", "away"),
    ]
    return {
        "users": users,
        "couples": [
            {
                "id": couple_id,
                "timezone": "UTC",
                "week_starts": "monday",
                "weight_toward": 1,
                "weight_away": -5,
                "weight_against": -5,
                "created_at": now,
                "updated_at": now,
            }
        ],
        "couple_members": [
            {"couple_id": couple_id, "user_id": user["id"], "slot": slot, "joined_at": now}
            for slot, user in enumerate(users, start=1)
        ],
        "bids": [
            {
                "id": uuid.uuid4(),
                "couple_id": couple_id,
                "bidder_id": users[0]["id"],
                "responder_id": users[1]["id"],
                "logged_by": users[0]["id"],
                "occurred_at": now,
                "kind": "humor",
                "private": False,
                "repair": False,
                "bidder_response": bidder,
                "responder_response": responder,
                "version": 1,
                "request_digest": "x",
                "created_at": now,
                "updated_at": now,
            }
            for bidder, responder in views
        ],
    }


def _as_of_0005(name: str, row: dict[str, Any]) -> sa.Table:
    """The table with only the columns `row` gives: the columns later revisions added
    are not there at 0005."""
    columns = [column._copy() for column in metadata.tables[name].c if column.name in row]
    return sa.Table(name, sa.MetaData(), *columns)


def test_going_back_from_0006_the_rollups_count_as_0002_did(empty_database: str) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "head")
    command.downgrade(config, "0005")
    assert "bid_weeks_on_new_calendar" not in _triggers(empty_database)
    rows = _rows(datetime.now(UTC))
    bids = metadata.tables["bids"]

    async def write_and_count(conn: AsyncConnection) -> dict[str, int]:
        for table in ("users", "couples", "couple_members", "bids"):
            await conn.execute(sa.insert(_as_of_0005(table, rows[table][0])), rows[table])
        first, second = (row["id"] for row in rows["bids"][:2])
        await conn.execute(
            sa.update(bids).where(bids.c.id == first).values(responder_response="against")
        )
        await conn.execute(sa.delete(bids).where(bids.c.id == second))
        totals = await conn.execute(
            sa.text(
                "SELECT sum(bids), sum(toward), sum(away), sum(against), sum(both_views),"
                " sum(agreements) FROM bid_weeks"
            )
        )
        names = ("bids", "toward", "away", "against", "both_views", "agreements")
        return dict(zip(names, totals.one(), strict=True))

    # Left: (toward, against), (against, toward), (None, None), (away, away).
    assert run_in_transaction(empty_database, write_and_count) == {
        "bids": 4,
        "toward": 1,
        "away": 1,
        "against": 1,
        "both_views": 3,
        "agreements": 1,
    }
    command.upgrade(config, "head")
    assert _ROLLUP_TRIGGERS | {"bid_weeks_on_new_calendar"} <= _triggers(empty_database)


def test_going_back_from_0007_keeps_every_account_and_bid(empty_database: str) -> None:
    """On SQLite, dropping `users.share_profile` by copying the table would drop the old
    `users`, and with foreign keys on, every row that refers to it."""
    config = alembic_config(empty_database)
    command.upgrade(config, "head")
    rows = _rows(datetime.now(UTC))

    async def write(conn: AsyncConnection) -> None:
        for table in ("users", "couples", "couple_members", "bids"):
            await conn.execute(sa.insert(metadata.tables[table]), rows[table])

    async def count(conn: AsyncConnection) -> dict[str, int]:
        return {
            table: (await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()
            for table in ("users", "couples", "couple_members", "bids", "bid_weeks")
        }

    run_in_transaction(empty_database, write)
    before = run_in_transaction(empty_database, count)
    assert before["bids"] == len(rows["bids"]) > 0
    command.downgrade(config, "0006")
    assert run_in_transaction(empty_database, count) == before
    command.upgrade(config, "head")
    assert run_in_transaction(empty_database, count) == before


def test_existing_profiles_stay_private_after_0007(empty_database: str) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "0006")
    rows = _rows(datetime.now(UTC))

    async def write(conn: AsyncConnection) -> None:
        await conn.execute(sa.insert(_as_of_0005("users", rows["users"][0])), rows["users"])

    async def shared(conn: AsyncConnection) -> list[bool]:
        found = await conn.execute(sa.text("SELECT share_profile FROM users"))
        return [bool(value) for value in found.scalars()]

    run_in_transaction(empty_database, write)
    command.upgrade(config, "head")
    assert run_in_transaction(empty_database, shared) == [False, False]


def test_grants_given_before_0012_await_the_therapist(empty_database: str) -> None:
    """Access needs the therapist's acceptance from 0012 on: a couple both of whose
    partners had granted access awaits it, unanswered; and going back keeps the grants."""
    config = alembic_config(empty_database)
    command.upgrade(config, "0011")
    now = datetime.now(UTC)
    rows = _rows(now)
    therapist = {
        **rows["users"][0],
        "id": uuid.uuid4(),
        "email": "kim@example.org",
        "display_name": "Kim",
        "account_type": "therapist",
    }
    couple_id = rows["couples"][0]["id"]
    grants = [
        {
            "couple_id": couple_id,
            "therapist_id": therapist["id"],
            "partner_id": user["id"],
            "granted_at": now,
        }
        for user in rows["users"]
    ]

    async def write(conn: AsyncConnection) -> None:
        for table in ("users", "couples", "couple_members"):
            await conn.execute(sa.insert(_as_of_0005(table, rows[table][0])), rows[table])
        await conn.execute(sa.insert(_as_of_0005("users", therapist)), [therapist])
        await conn.execute(sa.insert(_as_of_0005("therapist_grants", grants[0])), grants)

    async def answers(conn: AsyncConnection) -> list[tuple[Any, ...]]:
        found = await conn.execute(sa.text("SELECT answer, answered_at FROM therapist_grants"))
        return [tuple(row) for row in found]

    async def count(conn: AsyncConnection) -> int:
        found = await conn.execute(sa.text("SELECT count(*) FROM therapist_grants"))
        return int(found.scalar_one())

    run_in_transaction(empty_database, write)
    command.upgrade(config, "head")
    assert run_in_transaction(empty_database, answers) == [(None, None), (None, None)]
    command.downgrade(config, "0011")
    assert run_in_transaction(empty_database, count) == 2


def test_a_stand_in_account_is_stored_from_0013_and_a_partner_before_it(
    empty_database: str,
) -> None:
    """0013 widens the account types by `former` (on SQLite by rewriting the table's
    definition in place), refuses any other; going back keeps the row, as a partner."""
    config = alembic_config(empty_database)
    command.upgrade(config, "head")
    former, other = _rows(datetime.now(UTC))["users"]
    users = metadata.tables["users"]

    def write(row: dict[str, Any]) -> Callable[[AsyncConnection], Awaitable[None]]:
        async def run(conn: AsyncConnection) -> None:
            await conn.execute(sa.insert(users), [row])

        return run

    async def types(conn: AsyncConnection) -> list[str]:
        return list((await conn.execute(sa.select(users.c.account_type))).scalars())

    run_in_transaction(empty_database, write({**former, "account_type": "former"}))
    with pytest.raises(sa.exc.IntegrityError):
        run_in_transaction(empty_database, write({**other, "account_type": "ghost"}))
    command.downgrade(config, "0012")
    assert run_in_transaction(empty_database, types) == ["partner"]
    with pytest.raises(sa.exc.IntegrityError):
        run_in_transaction(empty_database, write({**other, "account_type": "former"}))
    command.upgrade(config, "head")
    run_in_transaction(empty_database, write({**other, "account_type": "former"}))
    assert sorted(run_in_transaction(empty_database, types)) == ["former", "partner"]
    assert _model_differences(empty_database) == []
