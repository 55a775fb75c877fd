"""A demo database: one simulated couple per profile, with bids, check-ins and shared
activities, ready for `make run`.

python -m simulation.demo [--database ./demo.db] [--seed 1] [--weeks 26]
"""

import argparse
import asyncio
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config

from alembic import command
from api.auth.passwords import hash_password
from api.core.db import create_engine
from api.core.settings import get_settings
from models.vocabulary import ActivityKind
from simulation.seed import SeededCouple, seed_couple
from simulation.simulator import SimulatedCheckin, SimulatedCouple, simulate

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "toward-demo-password"


@dataclass(frozen=True, slots=True)
class DemoCouple:
    profile: str
    names: tuple[str, str]
    # Set rather than drawn, so the demo shows zones on both sides of the date line,
    # with and without daylight saving time.
    timezone: str


COUPLES = (
    DemoCouple("masters", ("Maya", "Theo"), "Europe/London"),
    DemoCouple("disasters", ("Dana", "Rick"), "America/New_York"),
    DemoCouple("pursuer_distancer", ("Priya", "Dev"), "Asia/Kolkata"),
    DemoCouple("drifting", ("Lena", "Marc"), "Europe/Berlin"),
    DemoCouple("recovering", ("Rosa", "Sam"), "Australia/Sydney"),
)


def email(name: str, profile: str) -> str:
    return f"{name.lower()}.{profile.replace('_', '-')}@example.org"


def _remove(database: Path) -> None:
    for path in (database, *(database.with_name(database.name + end) for end in ("-wal", "-shm"))):
        path.unlink(missing_ok=True)


def _migrate(database_url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")


async def _seed(
    database_url: str, simulated: Sequence[SimulatedCouple], password_hash: str
) -> list[SeededCouple]:
    engine = create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        async with engine.begin() as conn:
            return [
                await seed_couple(
                    conn,
                    couple,
                    names=demo.names,
                    emails=(email(demo.names[0], demo.profile), email(demo.names[1], demo.profile)),
                    password_hash=password_hash,
                )
                for demo, couple in zip(COUPLES, simulated, strict=True)
            ]
    finally:
        await engine.dispose()


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


# The stretches compared in each couple's line: the first and the last weeks.
COMPARED_WEEKS = 4


def _means(checkins: Sequence[SimulatedCheckin]) -> str:
    if not checkins:
        return "no check-ins"
    count = len(checkins)
    connection = sum(checkin.connection for checkin in checkins) / count
    stress = sum(checkin.stress for checkin in checkins) / count
    signs = sum(len(checkin.signs) for checkin in checkins) / count
    return f"connection {connection:.1f}, stress {stress:.1f}, {signs:.1f} signs"


def describe(simulated: SimulatedCouple) -> str:
    """A couple's check-ins and shared time in one line: their first weeks beside their
    last, where a drifting or recovering couple shows its change."""
    stretch = timedelta(weeks=COMPARED_WEEKS)
    first = [c for c in simulated.checkins if c.at < simulated.start + stretch]
    last = [c for c in simulated.checkins if c.at >= simulated.end - stretch]
    by_partner = [sum(c.partner == partner for c in simulated.checkins) for partner in (0, 1)]
    activities = simulated.activities
    recent = sum(activity.occurred_at >= simulated.end - stretch for activity in activities)
    dates = sum(activity.kind is ActivityKind.date_night for activity in activities)
    latest = activities[-1].occurred_at.date().isoformat() if activities else "never"
    return (
        f"{simulated.profile.name}: {len(simulated.checkins)} check-ins"
        f" ({by_partner[0]} and {by_partner[1]} by each partner;"
        f" first {COMPARED_WEEKS} weeks: {_means(first)};"
        f" last {COMPARED_WEEKS}: {_means(last)});"
        f" {len(activities)} shared activities, {dates} of them date nights,"
        f" {recent} in the last {COMPARED_WEEKS} weeks (latest: {latest})"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m simulation.demo",
        description="A demo database: one simulated couple per profile.",
    )
    parser.add_argument("--database", default="./demo.db", help="SQLite file, recreated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--weeks", type=int, default=26, help="weeks of history, ending now")
    args = parser.parse_args(argv)

    database = Path(args.database)
    database_url = f"sqlite:///{args.database}"
    _remove(database)
    _migrate(database_url)
    end = datetime.now(UTC)
    simulated = [
        simulate(demo.profile, seed=args.seed, end=end, weeks=args.weeks, timezone=demo.timezone)
        for demo in COUPLES
    ]
    seeded = asyncio.run(_seed(database_url, simulated, hash_password(PASSWORD, get_settings())))

    rows = [("profile", "email", "password", "couple id", "bids", "timezone")]
    for demo, couple in zip(COUPLES, seeded, strict=True):
        for name in demo.names:
            rows.append(
                (
                    demo.profile,
                    email(name, demo.profile),
                    PASSWORD,
                    str(couple.couple_id),
                    str(couple.bids),
                    demo.timezone,
                )
            )
    print(
        f"{database}: {args.weeks} weeks of bids, check-ins and shared activities"
        f" up to {end:%Y-%m-%d %H:%M} UTC\n"
    )
    print(_table(rows))
    print()
    for simulated_couple in simulated:
        print(describe(simulated_couple))
    print("\nServe it with:\n")
    print(f"    DATABASE_URL={shlex.quote(database_url)} make run")


if __name__ == "__main__":
    main()
