"""Trend and bank-account reads, as driver statements (api/core/sql.py) whose cost grows
with the weeks read, not with the bids logged. A trends read first reads the couple's
state (partners, settings, a version of its figures); trends computed from that same
version before are answered from memory (api/core/cache.py), others are computed
from the couple's rollup rows for the weeks asked for."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa

from api.core.cache import LRUCache
from api.core.db import Database
from api.core.errors import not_found
from api.core.sql import Record, Statement
from models import calendar, figures
from models.base import UTCDateTime, utcnow
from models.checkin import CHECKIN_COUNTS
from models.couple import Weights
from models.figures import ActivityRow, CheckinRow, Habits, RollupRow, Tally
from models.trend import BankAccount, Last7Days, Summary, WeeklyTrends
from models.vocabulary import WeekStart

_UUID = sa.Uuid()
_DATE = sa.Date()
_TIME = UTCDateTime()
_WEIGHTS = ("weight_toward", "weight_away", "weight_against")

_ROLLUPS = {
    "bids": ("bid_weeks", ("responder_id", *figures.COUNTS)),
    "checkins": ("checkin_weeks", ("partner_id", *CHECKIN_COUNTS)),
    "activities": ("activity_weeks", ("kind", *figures.ACTIVITY_COUNTS)),
}
_ROLLUP_COLUMNS = list(dict.fromkeys(name for _, names in _ROLLUPS.values() for name in names))
ROLLUP_RESULT_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "couple_id": _UUID,
    "week_start": _DATE,
    "responder_id": _UUID,
    "partner_id": _UUID,
}


# A NULL's type, for the columns that are not counts: PostgreSQL reads an untyped NULL
# that two branches of a UNION share as text. SQLite takes any type name here.
_NULL_TYPES = {"responder_id": "uuid", "partner_id": "uuid", "kind": "varchar"}


def rollups_sql(where: str) -> str:
    """The rows of the three weekly rollups that match `where` as one relation: `source`
    names the rollup a row comes from, and the other rollups' columns are NULL."""

    def branch(source: str, table: str, own: tuple[str, ...]) -> str:
        columns = ", ".join(
            name if name in own else f"CAST(NULL AS {_NULL_TYPES.get(name, 'integer')}) AS {name}"
            for name in _ROLLUP_COLUMNS
        )
        return (
            f"SELECT '{source}' AS source, couple_id, week_start, {columns} "
            f"FROM {table} WHERE {where}"
        )

    return " UNION ALL ".join(
        branch(source, table, own) for source, (table, own) in _ROLLUPS.items()
    )


ROLLUP_SELECT = ", ".join(f"w.{name}" for name in ["source", "week_start", *_ROLLUP_COLUMNS])


@dataclass
class Rollups:
    """The rollup rows of some weeks, each kind parsed."""

    bids: list[RollupRow]
    checkins: list[CheckinRow]
    activities: list[ActivityRow]

    @classmethod
    def of(cls, rows: Sequence[Record]) -> "Rollups":
        read = cls([], [], [])
        for row in rows:
            source = row["source"]
            if source == "bids":
                read.bids.append(RollupRow.of(row))
            elif source == "checkins":
                read.checkins.append(CheckinRow.of(row))
            elif source == "activities":
                read.activities.append(ActivityRow.of(row))
        return read

    def habits(self, last_activity_on: date | None) -> Habits:
        return Habits(self.checkins, self.activities, last_activity_on)


# Who may read, and everything the figures depend on but the bids' weeks: calendar,
# weights, partners, and a version of the bids (api/core/cache.py).
_STATE = Statement(
    f"""
    SELECT c.timezone, c.week_starts, {", ".join(f"c.{name}" for name in _WEIGHTS)},
           c.created_at, c.updated_at, m.user_id,
           (SELECT version FROM bid_versions WHERE couple_id = :couple_id)
             AS version
    FROM couples AS c JOIN couple_members AS m ON m.couple_id = c.id
    WHERE c.id = :couple_id
    ORDER BY m.slot
    """,
    {"couple_id": _UUID},
    {"created_at": _TIME, "updated_at": _TIME, "user_id": _UUID},
)

# One row per rollup row of the weeks read (bids, check-ins and activities; or one
# empty row), each carrying the couple's settings and version, the totals of all
# earlier weeks, the last bid and the last activity before the window's end: a single
# statement, so all of it comes from one snapshot. The subqueries name no outer column,
# so each runs once, whatever the plan.
_WEEKS = Statement(
    f"""
    SELECT c.timezone, c.week_starts, {", ".join(f"c.{name}" for name in _WEIGHTS)},
           c.updated_at,
           (SELECT version FROM bid_versions WHERE couple_id = :couple_id)
             AS version,
           {
        ", ".join(
            f"(SELECT coalesce(sum({name}), 0) FROM bid_weeks"
            f" WHERE couple_id = :couple_id AND week_start < :first_week) AS {name}_before"
            for name in ("toward", "away", "against")
        )
    },
           (SELECT occurred_at FROM bids
            WHERE couple_id = :couple_id AND deleted_at IS NULL AND occurred_at < :until
            ORDER BY occurred_at DESC LIMIT 1) AS last_bid_at,
           (SELECT occurred_at FROM activities
            WHERE couple_id = :couple_id AND deleted_at IS NULL AND occurred_at < :until
            ORDER BY occurred_at DESC LIMIT 1) AS last_activity_at,
           {ROLLUP_SELECT}
    FROM couples AS c
    LEFT JOIN (
        {
        rollups_sql(
            "couple_id = :couple_id AND week_start >= :first_week AND week_start <= :last_week"
        )
    }
    ) AS w ON 1 = 1
    WHERE c.id = :couple_id
    """,
    {"couple_id": _UUID, "first_week": _DATE, "last_week": _DATE, "until": _TIME},
    {
        **ROLLUP_RESULT_TYPES,
        "updated_at": _TIME,
        "last_bid_at": _TIME,
        "last_activity_at": _TIME,
    },
)

_BANK = Statement(
    f"""
    SELECT {", ".join(f"c.{name}" for name in _WEIGHTS)},
           total.toward, total.away, total.against,
           recent.toward AS toward_7d, recent.away AS away_7d, recent.against AS against_7d
    FROM couples AS c
    CROSS JOIN (
        SELECT coalesce(sum(toward), 0) AS toward, coalesce(sum(away), 0) AS away,
               coalesce(sum(against), 0) AS against
        FROM bid_weeks WHERE couple_id = :couple_id
    ) AS total
    CROSS JOIN (
        SELECT {
        ", ".join(
            "coalesce(sum(CASE WHEN toward_effective_response(bidder_response, "
            f"responder_response) = "
            f"'{response}' THEN 1 ELSE 0 END), 0) AS {response}"
            for response in ("toward", "away", "against")
        )
    }
        FROM bids
        WHERE couple_id = :couple_id AND deleted_at IS NULL AND occurred_at >= :since
    ) AS recent
    WHERE c.id = :couple_id
    """,
    {"couple_id": _UUID, "since": _TIME},
)


@dataclass(frozen=True)
class Granted:
    """A read of `couple_id` by someone other than its partners, that the couple has
    granted and the access log has entered (api/therapists/access_log.py makes these)."""

    couple_id: uuid.UUID


# A partner's id, or a granted read.
Reader = uuid.UUID | Granted


class Version(NamedTuple):
    """Everything a couple's figures depend on but the rollup rows: computed trends
    stay good while it stays the same."""

    timezone: str
    week_starts: str
    weights: tuple[int, int, int]
    settings_changed_at: datetime
    partners: tuple[uuid.UUID, ...]
    bid_writes: int | None  # `bid_versions.version`: None before the first bid


# A read's couple, figures version, number of weeks and last week.
TrendsKey = tuple[uuid.UUID, Version, int, date]


@dataclass(frozen=True)
class State:
    """A couple's settings and partners, and a version of its figures."""

    timezone: str
    week_starts: str
    created_at: datetime
    partners: tuple[uuid.UUID, ...]
    version: Version


def _version(row: Record, partners: tuple[uuid.UUID, ...]) -> Version:
    return Version(
        row["timezone"],
        row["week_starts"],
        (row["weight_toward"], row["weight_away"], row["weight_against"]),
        row["updated_at"],
        partners,
        row["version"],
    )


async def _state(database: Database, couple_id: uuid.UUID, reader: Reader) -> State:
    """The couple as `reader` may read it: one of its partners, or a read granted on
    this couple. Anyone else gets a 404."""
    # Read on every trends request; concurrent ones for a couple share the statement.
    rows = await database.fetch_shared(_STATE, couple_id=couple_id)
    partners = tuple(row["user_id"] for row in rows)
    granted = isinstance(reader, Granted) and reader.couple_id == couple_id
    if not rows or not (granted or reader in partners):
        raise not_found("couple")
    first = rows[0]
    return State(
        first["timezone"],
        first["week_starts"],
        first["created_at"],
        partners,
        _version(first, partners),
    )


@dataclass(frozen=True)
class Computed:
    """A couple's trends for one window, but for what the passing of time changes:
    the `not-logging` flag is decided on each request."""

    trends: WeeklyTrends
    body: bytes
    last_bid_at: datetime | None
    couple_since: datetime
    window_end: datetime

    def render(self, now: datetime) -> bytes:
        quiet = figures.quiet(self.last_bid_at, self.couple_since, min(now, self.window_end))
        if quiet is None:
            return self.body
        summary = self.trends.summary
        flagged = summary.model_copy(update={"flags": [*summary.flags, quiet]})
        return self.trends.model_copy(update={"summary": flagged}).model_dump_json().encode()


TrendsCache = LRUCache[TrendsKey, Computed]


async def weekly_trends(
    database: Database,
    cache: TrendsCache,
    couple_id: uuid.UUID,
    reader: Reader,
    *,
    weeks: int,
    end: date | None,
) -> tuple[Computed, datetime]:
    """The trends computed from the rollups, or remembered from a read of the same
    version of the couple's figures; and the time of the read, to render them at."""
    state = await _state(database, couple_id, reader)
    now = utcnow()
    last_week = calendar.week_of(end or calendar.local_date(now, state.timezone), state.week_starts)
    computed = cache.get((couple_id, state.version, weeks, last_week))
    if computed is None:
        key, computed = await _compute(database, couple_id, state, weeks=weeks, end=end, now=now)
        cache.put(key, computed)
    return computed, now


async def _compute(
    database: Database,
    couple_id: uuid.UUID,
    state: State,
    *,
    weeks: int,
    end: date | None,
    now: datetime,
) -> tuple[TrendsKey, Computed]:
    timezone, week_starts = state.timezone, state.week_starts
    # The calendar read first may have changed by the time the weeks are read (a new
    # time zone re-buckets them); the weeks' statement says which one it read.
    for _ in range(3):
        last_week = calendar.week_of(end or calendar.local_date(now, timezone), week_starts)
        window = calendar.window(last_week, weeks)
        read = calendar.window(last_week, max(weeks, figures.SUMMARY_WEEKS))
        window_end = calendar.day_start(last_week + calendar.WEEK, timezone)
        rows = await database.fetch(
            _WEEKS, couple_id=couple_id, first_week=read[0], last_week=last_week, until=window_end
        )
        if not rows:
            raise not_found("couple")
        settings = rows[0]
        if (settings["timezone"], settings["week_starts"]) == (timezone, week_starts):
            break
        timezone, week_starts = settings["timezone"], settings["week_starts"]
    weights = Weights.of(settings)
    rollups = Rollups.of(rows)
    counts = rollups.bids
    habits = rollups.habits(last_activity_on(settings["last_activity_at"], timezone))
    earlier = Tally(
        toward=settings["toward_before"],
        away=settings["away_before"],
        against=settings["against_before"],
    )
    weekly = figures.week_figures(
        read,
        counts,
        state.partners,
        weights,
        balance_before=figures.amounts(earlier, weights).net,
        habits=habits,
    )
    summary = summarise(counts, window, read, state.partners, habits)
    # Built from values already typed: validating a year of weeks again would cost more
    # than computing them.
    trends = WeeklyTrends.model_construct(
        couple_id=couple_id,
        timezone=timezone,
        week_starts=WeekStart(week_starts),
        weights=weights,
        benchmarks=figures.BENCHMARKS,
        weeks=weekly[-weeks:],
        summary=summary,
    )
    computed = Computed(
        trends=trends,
        body=trends.model_dump_json().encode(),
        last_bid_at=settings["last_bid_at"],
        couple_since=state.created_at,
        window_end=window_end,
    )
    return (couple_id, _version(settings, state.partners), weeks, last_week), computed


def last_activity_on(last_activity_at: datetime | None, timezone: str) -> date | None:
    return None if last_activity_at is None else calendar.local_date(last_activity_at, timezone)


def summarise(
    counts: Sequence[RollupRow],
    window: Sequence[date],
    read: Sequence[date],
    partners: Sequence[uuid.UUID],
    habits: Habits,
) -> Summary:
    """The summary of the weeks `window`, from the rollup rows of the weeks `read` (the
    window, and at least the SUMMARY_WEEKS weeks that end with it)."""
    by_week = {week: Tally() for week in read}
    for row in counts:
        if row.week_start in by_week:
            by_week[row.week_start] = by_week[row.week_start] + row
    recent_start = read[-figures.RECENT_WEEKS]
    summary_weeks = read[-figures.SUMMARY_WEEKS :]
    return figures.summary(
        [by_week[week] for week in window],
        [(week, by_week[week]) for week in summary_weeks],
        [row for row in counts if recent_start <= row.week_start <= read[-1]],
        partners,
        [checkins for checkins, _ in habits.weekly(summary_weeks)],
        habits.last_activity_on,
    )


async def bank_account(
    database: Database, couple_id: uuid.UUID, caller_id: uuid.UUID
) -> BankAccount:
    await _state(database, couple_id, caller_id)
    now = utcnow()
    rows = await database.fetch(_BANK, couple_id=couple_id, since=now - timedelta(hours=168))
    if not rows:
        raise not_found("couple")
    row = rows[0]
    weights = Weights.of(row)
    total = figures.amounts(
        Tally(toward=row["toward"], away=row["away"], against=row["against"]), weights
    )
    recent = figures.amounts(
        Tally(toward=row["toward_7d"], away=row["away_7d"], against=row["against_7d"]), weights
    )
    return BankAccount(
        couple_id=couple_id,
        balance=total.net,
        deposits=total.deposits,
        withdrawals=total.withdrawals,
        weights=weights,
        benchmarks=figures.BENCHMARKS,
        last_7_days=Last7Days(
            deposits=recent.deposits, withdrawals=recent.withdrawals, net=recent.net
        ),
        as_of=now,
    )
