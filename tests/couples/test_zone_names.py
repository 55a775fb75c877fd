"""Time zone names: the API accepts only names that PostgreSQL reads as Python does.

PostgreSQL reads a name in `AT TIME ZONE` as an abbreviation (a fixed offset) before it
reads it as a zone, so a name such as CET meant a different week there than in Python
(models/zones.py). The comparison here runs every accepted name through both week
functions at the instants where a difference would show."""

import asyncio
import os
import time
import uuid
import zoneinfo
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from pydantic import TypeAdapter, ValidationError

from alembic import command
from models import metadata
from models.calendar import week_start
from models.types import TimeZoneName
from models.zones import ABBREVIATIONS
from tests.factories import PASSWORD, Couple, register
from tests.http import assert_problem
from tests.migrations import alembic_config, run_in_transaction

POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")
postgres_only = pytest.mark.skipif(
    not POSTGRES, reason="SQLite runs Python's own week function: nothing to compare"
)

REFUSED = ["CET", "EET", "EST", "HST", "MET", "MST", "WET"]
ACCEPTED_SAMPLE = ["UTC", "GMT", "Zulu", "Europe/Paris", "Europe/Brussels", "America/New_York"]


def accepted_names() -> list[str]:
    """Every name of the time zone database that the API accepts, by its own rule."""
    adapter = TypeAdapter(TimeZoneName)
    accepted = []
    for name in sorted(zoneinfo.available_timezones()):
        try:
            adapter.validate_python(name)
        except ValidationError:
            continue
        accepted.append(name)
    return accepted


@pytest.mark.parametrize("zone", REFUSED)
async def test_abbreviations_are_refused_for_couples(
    client: httpx.AsyncClient, couple: Couple, zone: str
) -> None:
    response = await client.patch(
        couple.path, json={"timezone": zone}, headers=couple.first.headers
    )
    body = assert_problem(response, 422, "timezone")
    assert "Europe/Paris" in body["errors"][0]["message"]
    created = await client.post(
        "/api/v1/couples", json={"timezone": zone}, headers=couple.first.headers
    )
    assert_problem(created, 422, "timezone")


@pytest.mark.parametrize("zone", REFUSED)
async def test_abbreviations_are_refused_for_users(client: httpx.AsyncClient, zone: str) -> None:
    registered = await client.post(
        "/api/v1/auth/register",
        json={
            "email": f"zone-{uuid.uuid4().hex[:8]}@example.org",
            "password": PASSWORD,
            "display_name": "Zed",
            "timezone": zone,
        },
    )
    assert_problem(registered, 422, "timezone")
    person = await register(client, "Zed")
    changed = await client.patch("/api/v1/me", json={"timezone": zone}, headers=person.headers)
    assert_problem(changed, 422, "timezone")


@pytest.mark.parametrize("zone", ACCEPTED_SAMPLE)
async def test_places_and_utc_are_accepted(
    client: httpx.AsyncClient, couple: Couple, zone: str
) -> None:
    changed = await client.patch(couple.path, json={"timezone": zone}, headers=couple.first.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["timezone"] == zone
    person = await register(client, "Zed", timezone=zone)
    assert person.user["timezone"] == zone
    me = await client.patch("/api/v1/me", json={"timezone": zone}, headers=person.headers)
    assert me.status_code == 200, me.text


START = datetime(1900, 1, 1, tzinfo=UTC)
END = datetime(2041, 1, 1, tzinfo=UTC)
SAMPLE = timedelta(weeks=1)
SECOND = timedelta(seconds=1)
# Around a change or a week boundary: the second before, and half-hours up to two hours
# either side, so that an offset that differs by up to two hours shows.
NEAR = (-SECOND, *(timedelta(minutes=30 * k) for k in range(-4, 5)))
SEASON_YEARS = (1900, 1935, 1970, 2000, 2025, 2040)
SEASON_MONTHS = (1, 7)
_SAMPLES = [START + SAMPLE * week for week in range((END - START) // SAMPLE + 1)]


def offset_changes(zone: zoneinfo.ZoneInfo) -> list[datetime]:
    """The first second of each new UTC offset from 1900 to 2040, found by sampling every
    week and bisecting to the second (two changes within one week can hide)."""
    # Two times in the same zone subtract as wall clocks: their difference is the
    # elapsed time only when the offset stayed the same.
    local = [sample.astimezone(zone) for sample in _SAMPLES]
    changes = []
    for index in range(1, len(_SAMPLES)):
        if local[index] - local[index - 1] == SAMPLE:
            continue
        before, after = _SAMPLES[index - 1], _SAMPLES[index]
        old, old_local = before, local[index - 1]
        while after - before > SECOND:
            middle = before + (after - before) // SECOND // 2 * SECOND
            if middle.astimezone(zone) - old_local == middle - old:
                before = middle
            else:
                after = middle
        changes.append(after)
    return changes


def _local_midnight(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _week_boundaries(after: date, zone: zoneinfo.ZoneInfo) -> list[datetime]:
    """The next local Monday and Sunday midnights after a local day."""
    monday = after + timedelta(days=7 - after.weekday())
    sunday = after + timedelta(days=6 - after.weekday() or 7)
    return [_local_midnight(monday, zone), _local_midnight(sunday, zone)]


def instants_to_check(zone: zoneinfo.ZoneInfo) -> list[datetime]:
    """Instants around each offset change of the zone and around the local week
    boundaries after it, and around week boundaries in winter and summer of some years."""
    marks: list[datetime] = []
    for change in offset_changes(zone):
        marks.append(change)
        marks.extend(_week_boundaries(change.astimezone(zone).date(), zone))
    for year in SEASON_YEARS:
        for month in SEASON_MONTHS:
            marks.extend(_week_boundaries(date(year, month, 1), zone))
    return sorted({mark + near for mark in marks for near in NEAR})


_DISAGREEMENTS = """
    SELECT u.at, u.monday, u.sunday,
           toward_week_start(u.at, $1, 'monday') AS pg_monday,
           toward_week_start(u.at, $1, 'sunday') AS pg_sunday
    FROM unnest($2::timestamptz[], $3::date[], $4::date[]) AS u(at, monday, sunday)
    WHERE (toward_week_start(u.at, $1, 'monday'), toward_week_start(u.at, $1, 'sunday'))
          IS DISTINCT FROM (u.monday, u.sunday)
"""


def _python_weeks(name: str) -> tuple[list[datetime], list[date], list[date]]:
    """The instants to check in a zone, and Python's Monday and Sunday weeks of each."""
    instants = instants_to_check(zoneinfo.ZoneInfo(name))
    mondays = [week_start(instant, name, "monday") for instant in instants]
    sundays = [week_start(instant, name, "sunday") for instant in instants]
    return instants, mondays, sundays


async def _compare(
    connection: asyncpg.Connection, name: str, weeks: tuple[list[datetime], list[date], list[date]]
) -> list[dict[str, Any]]:
    rows = await connection.fetch(_DISAGREEMENTS, name, *weeks)
    return [{"zone": name, **row} for row in rows]


async def disagreements(url: str, names: Iterable[str]) -> tuple[int, list[dict[str, Any]]]:
    """How many (zone, instant) pairs were compared, and those where PostgreSQL's
    `toward_week_start` and Python's `week_start` differ for either week start.

    One statement per zone, whose name is then one parameter rather than a value on
    every row. Python works out the next zone in a thread while PostgreSQL compares the
    last one: each side's work is of the same order, and neither waits for the other."""
    compared, found = 0, []
    connection = await asyncpg.connect(url)
    try:
        comparing: asyncio.Task[list[dict[str, Any]]] | None = None
        for name in names:
            weeks = await asyncio.to_thread(_python_weeks, name)
            if comparing is not None:
                found.extend(await comparing)
            compared += len(weeks[0])
            comparing = asyncio.create_task(_compare(connection, name, weeks))
        if comparing is not None:
            found.extend(await comparing)
    finally:
        await connection.close()
    return compared, found


def _show(found: list[dict[str, Any]]) -> str:
    by_zone = Counter(row["zone"] for row in found)
    sample = "\n".join(
        f"  {row['zone']} at {row['at'].isoformat()}: Python {row['monday']}/{row['sunday']},"
        f" PostgreSQL {row['pg_monday']}/{row['pg_sunday']}"
        for row in found[:10]
    )
    return f"{len(found)} disagreements in {dict(by_zone)}, such as:\n{sample}"


async def _pg_names(url: str) -> tuple[set[str], set[str]]:
    """The zone names and the abbreviations PostgreSQL knows, lower-cased: it looks both
    up without regard to case."""
    connection = await asyncpg.connect(url)
    try:
        zones = await connection.fetch("SELECT lower(name) AS name FROM pg_timezone_names")
        abbreviations = await connection.fetch(
            "SELECT lower(abbrev) AS name FROM pg_timezone_abbrevs"
        )
    finally:
        await connection.close()
    return {row["name"] for row in zones}, {row["name"] for row in abbreviations}


@postgres_only
async def test_postgres_knows_every_accepted_name(database_url: str) -> None:
    zones, abbreviations = await _pg_names(database_url)
    unknown = [name for name in accepted_names() if name.lower() not in zones | abbreviations]
    assert unknown == []


@postgres_only
async def test_every_accepted_name_gives_the_same_weeks_in_postgres_and_python(
    database_url: str,
) -> None:
    started = time.perf_counter()
    names = accepted_names()
    compared, found = await disagreements(database_url, names)
    print(
        f"{compared} instants of {len(names)} zones compared"
        f" in {time.perf_counter() - started:.1f} s"
    )
    assert compared > 100 * len(names)
    assert not found, _show(found)


@postgres_only
async def test_every_name_postgres_reads_as_an_abbreviation_is_refused_or_agrees(
    database_url: str,
) -> None:
    _, abbreviations = await _pg_names(database_url)
    read_as_abbreviations = {
        name for name in zoneinfo.available_timezones() if name.lower() in abbreviations
    }
    assert set(ABBREVIATIONS) <= read_as_abbreviations
    kept = sorted(read_as_abbreviations - ABBREVIATIONS)
    assert set(kept) <= set(accepted_names())
    _, found = await disagreements(database_url, kept)
    assert not found, _show(found)


_users, _couples = metadata.tables["users"], metadata.tables["couples"]
_members, _bids = metadata.tables["couple_members"], metadata.tables["bids"]
_weeks = metadata.tables["bid_weeks"]

# Summer Monday 00:30 in Brussels is Sunday 23:30 at CET's fixed offset, and in 1930
# Brussels kept Greenwich time (CET as a zone of its own said UTC+1): each lands in a
# different week by the old name than by the place.
_MOMENTS = (
    datetime(2024, 7, 14, 22, 30, tzinfo=UTC),
    datetime(2024, 7, 15, 10, 0, tzinfo=UTC),
    datetime(2024, 1, 14, 23, 30, tzinfo=UTC),
    datetime(1930, 1, 12, 23, 30, tzinfo=UTC),
)


def _user(zone: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": uuid.uuid4(),
        "email": f"{uuid.uuid4().hex[:8]}@example.org",
        "password_hash": "x",
        "display_name": "Old",
        "timezone": zone,
        "account_type": "partner",
        "love_languages": {},
        "created_at": now,
        "updated_at": now,
    }


# `users` as 0003 left it: an insert through the head's table would name columns added
# later (0007's `share_profile`), which a 0003 database does not have.
_users_0003 = sa.table("users", *(sa.column(name, _users.c[name].type) for name in _user("UTC")))


async def _stored_couple(conn: Any, zone: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """A couple in `zone`, its two partners (the first in `zone` too), and bids each way.
    The ids of the couple and its partners."""
    now = datetime.now(UTC)
    ana, ben = _user(zone), _user("UTC")
    couple_id = uuid.uuid4()
    await conn.execute(sa.insert(_users_0003), [ana, ben])
    await conn.execute(
        sa.insert(_couples).values(
            id=couple_id,
            timezone=zone,
            week_starts="monday",
            weight_toward=1,
            weight_away=-5,
            weight_against=-5,
            created_at=now,
            updated_at=now,
        )
    )
    await conn.execute(
        sa.insert(_members),
        [
            {"couple_id": couple_id, "user_id": user["id"], "slot": slot, "joined_at": now}
            for slot, user in ((1, ana), (2, ben))
        ],
    )
    bids = [
        {
            "id": uuid.uuid4(),
            "couple_id": couple_id,
            "bidder_id": bidder["id"],
            "responder_id": responder["id"],
            "logged_by": bidder["id"],
            "occurred_at": moment,
            "kind": "humor",
            "private": False,
            "repair": False,
            "bidder_response": "toward",
            "responder_response": None,
            "version": 1,
            "request_digest": "x",
            "created_at": now,
            "updated_at": now,
        }
        for moment in _MOMENTS
        for bidder, responder in ((ana, ben), (ben, ana))
    ]
    await conn.execute(sa.insert(_bids), bids)
    return couple_id, ana["id"], ben["id"]


async def _rollups(conn: Any, couple_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        sa.select(_weeks).where(_weeks.c.couple_id == couple_id).order_by(*_weeks.primary_key)
    )
    return [dict(row._mapping) for row in rows]


def test_migration_0004_moves_stored_abbreviations_to_places(empty_database: str) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "0003")

    async def store(conn: Any) -> dict[str, tuple[uuid.UUID, uuid.UUID, uuid.UUID]]:
        return {zone: await _stored_couple(conn, zone) for zone in ("CET", "Europe/Paris")}

    stored = run_in_transaction(empty_database, store)
    command.upgrade(config, "0004")

    async def check(conn: Any) -> None:
        moved, moved_first, moved_second = stored["CET"]
        kept, kept_first, _ = stored["Europe/Paris"]
        zones = dict((await conn.execute(sa.select(_couples.c.id, _couples.c.timezone))).all())
        assert zones == {moved: "Europe/Brussels", kept: "Europe/Paris"}
        # A moved couple's version moves too, so no cached trends of its old weeks serve.
        updated = dict((await conn.execute(sa.select(_couples.c.id, _couples.c.updated_at))).all())
        assert updated[moved] > updated[kept]
        users = dict((await conn.execute(sa.select(_users.c.id, _users.c.timezone))).all())
        assert (users[moved_first], users[kept_first]) == ("Europe/Brussels", "Europe/Paris")

        # Each partner answered one bid at each moment, counted in Brussels' weeks.
        weeks = Counter(week_start(moment, "Europe/Brussels", "monday") for moment in _MOMENTS)
        migrated = await _rollups(conn, moved)
        assert {(row["responder_id"], row["week_start"], row["bids"]) for row in migrated} == {
            (responder, week, count)
            for responder in (moved_first, moved_second)
            for week, count in weeks.items()
        }
        # Every count equals a recount of the bids: each one the bidder saw as toward.
        zones_now = {moved: "Europe/Brussels", kept: "Europe/Paris"}
        for couple_id, zone in zones_now.items():
            bids = (
                await conn.execute(
                    # The columns of 0004: later revisions add others.
                    sa.select(_bids.c.responder_id, _bids.c.occurred_at).where(
                        _bids.c.couple_id == couple_id
                    )
                )
            ).all()
            recount = Counter(
                (bid.responder_id, week_start(bid.occurred_at.replace(tzinfo=UTC), zone, "monday"))
                for bid in bids
            )
            assert {
                (row["responder_id"], row["week_start"]): (row["bids"], row["toward"])
                for row in await _rollups(conn, couple_id)
                if row["bids"]
            } == {key: (count, count) for key, count in recount.items()}

    run_in_transaction(empty_database, check)
