"""Trend and bank-account reads, as driver statements (api/core/sql.py) whose cost grows
with the weeks read, not with the bids logged. A trends read first reads the couple's
state (partners, settings, a version of its figures); trends computed from that same
version before are answered from memory, others are computed from the couple's rollup
rows for the weeks asked for: only the weeks whose rows changed since the window's
last computation, and concurrent reads of one version compute once
(api/trends/memory.py)."""

import operator
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from api.core.cache import LRUCache
from api.core.conditional import content_tag
from api.core.db import Database
from api.core.errors import not_found
from api.core.notices import ChangeClock
from api.core.sql import Record, Statement
from api.trends.memory import (
    Basis,
    Made,
    TrendsKey,
    Version,
    Week,
    trends_body,
    week_json,
)

# Other features read a computation through this module, not memory's.
from api.trends.memory import Computed as Computed
from api.trends.memory import TrendsCache as TrendsCache
from models import calendar, figures
from models.base import UTCDateTime, utcnow
from models.checkin import CHECKIN_COUNTS
from models.couple import Weights
from models.figures import ActivityTally, CheckinTally, Habits, HabitWeeks, RollupRow, Tally
from models.trend import BankAccount, Last7Days, Summary, WeeklyTrends
from models.vocabulary import WeekStart

_UUID = sa.Uuid()
_DATE = sa.Date()
_TIME = UTCDateTime()
_WEIGHTS = ("weight_toward", "weight_away", "weight_against")

_KIND_SUMS = [
    f"sum(CASE WHEN kind = '{kind.value}' THEN activities ELSE 0 END)" for kind in figures.KINDS
]
# Each rollup's table, what it selects as the values `n0`, `n1`, ... of the relation
# `rollups_sql` makes (in the order its tally takes them), and its grouping. Check-ins
# and activities come summed per couple and week: their figures are the couple's (or,
# for check-ins, the viewing partner's), never per partner or kind row.
_BRANCHES: dict[str, tuple[str, list[str], str]] = {
    "bids": ("bid_weeks", list(figures.COUNTS), ""),
    "checkins": (
        "checkin_weeks",
        [f"sum({name})" for name in CHECKIN_COUNTS],
        " GROUP BY couple_id, week_start",
    ),
    "activities": (
        "activity_weeks",
        ["sum(activities)", "sum(minutes)", *_KIND_SUMS],
        " GROUP BY couple_id, week_start",
    ),
}
# The rollups share their value columns (a rollup with fewer values leaves the rest
# NULL): a caseload reads thousands of rows, and each column is decoded on each row.
_VALUES = [f"n{position}" for position in range(max(len(v) for _, v, _ in _BRANCHES.values()))]
_VALUES_OF = {
    source: operator.itemgetter(*_VALUES[: len(values)])
    for source, (_, values, _) in _BRANCHES.items()
}
_ROLLUP_COLUMNS = ["responder_id", *_VALUES]
ROLLUP_RESULT_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "couple_id": _UUID,
    "week_start": _DATE,
    "responder_id": _UUID,
}
# Which check-ins a partner counts (`:viewer`; NULL for a granted read, which counts
# all): their own, and the other's for dates both checked in (the reveal rule; the
# rollup keeps these apart as `paired`, alembic/versions/0007).
SEEN_BY_VIEWER = "(CAST(:viewer AS uuid) IS NULL OR paired OR partner_id = :viewer)"


def rollups_sql(where: str, checkins_seen: str = "1 = 1", habits_where: str | None = None) -> str:
    """The rows of the three weekly rollups that match `where` (of the check-ins and
    activities, `habits_where` when given) as one relation, of the check-ins only those
    `checkins_seen` keeps: `source` names the rollup a row comes from, `responder_id`
    is a bid row's, and `n0`, `n1`, ... are its values (NULLs typed: PostgreSQL reads
    an untyped NULL that two branches share as text)."""

    def branch(source: str, table: str, values: list[str], group: str) -> str:
        responder = "responder_id" if source == "bids" else "CAST(NULL AS uuid)"
        select = ", ".join(
            f"{values[position]} AS {name}"
            if position < len(values)
            else f"CAST(NULL AS integer) AS {name}"
            for position, name in enumerate(_VALUES)
        )
        seen = f" AND {checkins_seen}" if source == "checkins" else ""
        rows = where if source == "bids" or habits_where is None else habits_where
        return (
            f"SELECT '{source}' AS source, couple_id, week_start, {responder} AS responder_id, "
            f"{select} FROM {table} WHERE {rows}{seen}{group}"
        )

    return " UNION ALL ".join(
        branch(source, table, values, group) for source, (table, values, group) in _BRANCHES.items()
    )


ROLLUP_SELECT = ", ".join(f"w.{name}" for name in ["source", "week_start", *_ROLLUP_COLUMNS])


@dataclass
class Rollups:
    """The rollup rows of some weeks: the bids' by responder, the check-ins' and the
    activities' summed by week."""

    bids: list[RollupRow]
    checkins: dict[date, CheckinTally]
    activities: dict[date, ActivityTally]

    @classmethod
    def of(cls, rows: Sequence[Record]) -> "Rollups":
        read = cls([], {}, {})
        bids, checkins, activities = (
            _VALUES_OF[source] for source in ("bids", "checkins", "activities")
        )
        for row in rows:
            source = row["source"]
            if source == "bids":
                read.bids.append(RollupRow.of(row["week_start"], row["responder_id"], bids(row)))
            elif source == "checkins":
                read.checkins[row["week_start"]] = CheckinTally.of(checkins(row))
            elif source == "activities":
                read.activities[row["week_start"]] = ActivityTally.of(activities(row))
        return read

    def habits(
        self, last_activity_at: datetime | None, timezone: str, began_at: datetime
    ) -> Habits:
        return Habits(
            self.checkins,
            self.activities,
            None if last_activity_at is None else calendar.local_date(last_activity_at, timezone),
            calendar.local_date(began_at, timezone),
        )


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

# The couple's settings and version, the totals of all earlier weeks, the last bid and
# the last activity before the window's end, in a first row (`source` 'couple'); then
# a row per rollup row of the weeks read (bids, check-ins and activities). A single
# statement, so all of it comes from one snapshot; the couple's values come once, not
# on every rollup row (a year of weeks is some 200 rows). The subqueries name no outer
# column, so each runs once, whatever the plan.
_COUPLE_COLUMNS = [
    "timezone",
    "week_starts",
    *_WEIGHTS,
    "updated_at",
    "version",
    "toward_before",
    "away_before",
    "against_before",
    "last_bid_at",
    "last_activity_at",
]
_WEEKS = Statement(
    f"""
    SELECT 'couple' AS source, c.timezone, c.week_starts,
           {", ".join(f"c.{name}" for name in _WEIGHTS)}, c.updated_at,
           (SELECT version FROM bid_versions WHERE couple_id = :couple_id) AS version,
           earlier.toward AS toward_before, earlier.away AS away_before,
           earlier.against AS against_before,
           (SELECT occurred_at FROM bids
            WHERE couple_id = :couple_id AND deleted_at IS NULL AND occurred_at < :until
            ORDER BY occurred_at DESC LIMIT 1) AS last_bid_at,
           (SELECT occurred_at FROM activities
            WHERE couple_id = :couple_id AND deleted_at IS NULL AND occurred_at < :until
            ORDER BY occurred_at DESC LIMIT 1) AS last_activity_at,
           NULL AS week_start, {", ".join(f"NULL AS {name}" for name in _ROLLUP_COLUMNS)}
    FROM couples AS c
    CROSS JOIN (
        SELECT coalesce(sum(toward), 0) AS toward, coalesce(sum(away), 0) AS away,
               coalesce(sum(against), 0) AS against
        FROM bid_weeks WHERE couple_id = :couple_id AND week_start < :first_week
    ) AS earlier
    WHERE c.id = :couple_id
    UNION ALL
    SELECT w.source, {", ".join("NULL" for _ in _COUPLE_COLUMNS)},
           {", ".join(f"w.{name}" for name in ["week_start", *_ROLLUP_COLUMNS])}
    FROM (
        {
        rollups_sql(
            "couple_id = :couple_id AND week_start >= :first_week AND week_start <= :last_week",
            SEEN_BY_VIEWER,
        )
    }
    ) AS w
    """,
    {
        "couple_id": _UUID,
        "first_week": _DATE,
        "last_week": _DATE,
        "until": _TIME,
        "viewer": _UUID,
    },
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


class KnownStates:
    """Couples' states this worker read, each trusted with no statement while no change
    of the couple has been heard since before it was read (api/core/notices.py). Not
    trusted at all while the worker is not listening (SQLite, or the connection lost)."""

    def __init__(self, clock: ChangeClock, size: int) -> None:
        self.clock = clock
        self._states: LRUCache[uuid.UUID, tuple[int, State]] = LRUCache(size)

    def get(self, couple_id: uuid.UUID) -> State | None:
        found = self._states.get(couple_id)
        if found is None or not self.clock.unchanged(couple_id, found[0]):
            return None
        return found[1]

    def put(self, couple_id: uuid.UUID, mark: int | None, state: State | None) -> None:
        if mark is not None and state is not None:
            self._states.put(couple_id, (mark, state))


async def _state(
    database: Database, couple_id: uuid.UUID, reader: Reader, known: KnownStates | None = None
) -> State:
    """The couple as `reader` may read it: one of its partners, or a read granted on
    this couple. Anyone else gets a 404, always after a read of the database (a partner
    who joined a moment ago is never refused from memory)."""
    granted = isinstance(reader, Granted) and reader.couple_id == couple_id
    state = None if known is None else known.get(couple_id)
    if state is not None and (granted or reader in state.partners):
        return state
    # Taken before the read: a change heard after it may be in the read or not, and
    # makes the state read untrusted either way.
    mark = None if known is None else known.clock.mark()
    # Concurrent reads of a couple share the statement (which begins after they ask).
    state = _of_rows(await database.fetch_shared(_STATE, couple_id=couple_id))
    if known is not None:
        known.put(couple_id, mark, state)
    if state is None or not (granted or reader in state.partners):
        raise not_found("couple")
    return state


def _of_rows(rows: Sequence[Record]) -> State | None:
    if not rows:
        return None
    partners = tuple(row["user_id"] for row in rows)
    first = rows[0]
    return State(
        first["timezone"],
        first["week_starts"],
        first["created_at"],
        partners,
        _version(first, partners),
    )


async def weekly_trends(
    database: Database,
    cache: TrendsCache,
    couple_id: uuid.UUID,
    reader: Reader,
    *,
    weeks: int,
    end: date | None,
    known: KnownStates | None = None,
) -> tuple[Computed, datetime]:
    """The trends computed from the rollups, or remembered from a read of the same
    version of the couple's figures; and the time of the read, to render them at."""
    state = await _state(database, couple_id, reader, known)
    now = utcnow()
    last_week = calendar.week_of(end or calendar.local_date(now, state.timezone), state.week_starts)
    viewer = reader if isinstance(reader, uuid.UUID) else None
    key = (couple_id, state.version, weeks, last_week, viewer)
    computed = cache.computed.get(key)
    if computed is not None:
        return computed, now

    async def compute() -> Computed:
        window = (couple_id, weeks, last_week, viewer)
        read_key, computed, basis = await _compute(
            database,
            couple_id,
            state,
            viewer,
            weeks=weeks,
            end=end,
            now=now,
            basis=cache.bases.get(window),
        )
        cache.computed.put(read_key, computed)
        cache.bases.put(window, basis)
        return computed

    if not cache.size:
        return await compute(), now
    return await cache.running.get(key, compute), now


def _made_by_week(rollups: Rollups, weeks: Sequence[date]) -> dict[date, Made]:
    """What each week's rollup rows made, its bids' rows in one order."""
    bids: dict[date, list[RollupRow]] = {week: [] for week in weeks}
    for row in rollups.bids:
        # The statement reads only these weeks: a row of another would count for none.
        bids.get(row.week_start, []).append(row)
    return {
        week: Made(
            sorted(bids[week], key=_RESPONDER),
            rollups.checkins.get(week),
            rollups.activities.get(week),
        )
        for week in weeks
    }


_RESPONDER = operator.attrgetter("responder_id")


def _couple_row(rows: Sequence[Record]) -> Record:
    """The row of `_WEEKS` with the couple's values; a 404 when the couple is gone."""
    for row in rows:
        if row["source"] == "couple":
            return row
    raise not_found("couple")


async def _compute(
    database: Database,
    couple_id: uuid.UUID,
    state: State,
    viewer: uuid.UUID | None,
    *,
    weeks: int,
    end: date | None,
    now: datetime,
    basis: Basis | None,
) -> tuple[TrendsKey, Computed, Basis]:
    """The trends of the window, and the parts to compute its next version from. The
    weeks of `basis` (the window's last computation) whose rows read the same are
    taken as they are, up to the first that differs."""
    timezone, week_starts = state.timezone, state.week_starts
    # The calendar read first may have changed by the time the weeks are read (a new
    # time zone re-buckets them); the weeks' statement says which one it read.
    for _ in range(3):
        last_week = calendar.week_of(end or calendar.local_date(now, timezone), week_starts)
        window = calendar.window(last_week, weeks)
        read = calendar.window(last_week, max(weeks, figures.SUMMARY_WEEKS))
        window_end = calendar.day_start(last_week + calendar.WEEK, timezone)
        rows = await database.fetch(
            _WEEKS,
            couple_id=couple_id,
            first_week=read[0],
            last_week=last_week,
            until=window_end,
            viewer=viewer,
        )
        settings = _couple_row(rows)
        if (settings["timezone"], settings["week_starts"]) == (timezone, week_starts):
            break
        timezone, week_starts = settings["timezone"], settings["week_starts"]
    weights = Weights.of(settings)
    version = _version(settings, state.partners)
    earlier = Tally(
        toward=settings["toward_before"],
        away=settings["away_before"],
        against=settings["against_before"],
    )
    context = (*version[:-1], tuple(read), earlier)
    known = basis.weeks if basis is not None and basis.context == context else {}
    rollups = Rollups.of(rows)
    made = _made_by_week(rollups, read)
    # The weeks before the first that changed keep their figures and JSON; from it on
    # each week is computed again (its balance carries on from the week before).
    first = next(
        (
            index
            for index, week in enumerate(read)
            if week not in known or known[week].made != made[week]
        ),
        len(read),
    )
    habits = rollups.habits(settings["last_activity_at"], timezone, state.created_at)
    habit_weeks = habits.weekly(read)
    balance_before = (
        known[read[first - 1]].figures["balance"]
        if first
        else figures.amounts(earlier, weights).net
    )
    weekly = [known[week].figures for week in read[:first]] + figures.week_figures(
        read[first:],
        rollups.bids,
        state.partners,
        weights,
        balance_before=balance_before,
        habits=habit_weeks,
    )
    summary = summarise(rollups.bids, window, read, state.partners, habits, habit_weeks)
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
    shown = len(read) - len(window)
    body, spans = trends_body(
        trends,
        [
            basis.json_of(known[week])
            if basis is not None and index < first
            else week_json(weekly[index])
            for index, week in enumerate(read[shown:], start=shown)
        ],
    )
    parts = {
        week: Week(made[week], weekly[index], spans[index - shown] if index >= shown else None)
        for index, week in enumerate(read)
    }
    computed = Computed(
        trends=trends,
        body=body,
        tag=content_tag(body),
        last_bid_at=settings["last_bid_at"],
        couple_since=state.created_at,
        window_end=window_end,
    )
    key = (couple_id, version, weeks, last_week, viewer)
    return key, computed, Basis(context, parts, body)


def summarise(
    counts: Sequence[RollupRow],
    window: Sequence[date],
    read: Sequence[date],
    partners: Sequence[uuid.UUID],
    habits: Habits,
    habit_weeks: HabitWeeks,
) -> Summary:
    """The summary of the weeks `window`, from the rollup rows of the weeks `read` (the
    window, and at least the SUMMARY_WEEKS weeks that end with it) and the check-ins and
    activities of those weeks (`habits.weekly(read)`)."""
    rows_by_week: dict[date, list[RollupRow]] = {week: [] for week in read}
    for row in counts:
        if row.week_start in rows_by_week:
            rows_by_week[row.week_start].append(row)
    by_week = {week: figures.tally(rows) for week, rows in rows_by_week.items()}
    recent_start = read[-figures.RECENT_WEEKS]
    summary_weeks = read[-figures.SUMMARY_WEEKS :]
    return figures.summary(
        [by_week[week] for week in window],
        [(week, by_week[week]) for week in summary_weeks],
        [row for row in counts if recent_start <= row.week_start <= read[-1]],
        partners,
        [habit_weeks[week][0] for week in summary_weeks],
        habits.last_activity_on,
        habits.began_on,
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
