"""Trend and bank-account reads, as driver statements (api/core/sql.py) whose cost grows
with the weeks read, not with the bids logged. A trends read first reads the couple's
state (partners, settings, a version of its figures); trends computed from that same
version before are answered from memory, others are computed from the couple's rollup
rows for the weeks asked for: only the weeks whose rows changed since the window's
last computation, and concurrent reads of one version compute once
(api/trends/memory.py). A read after a change the worker heard of (a write, most
often) reads the state with the weeks, in one statement: it would compute anyway; and
joins such a read of the window running when nothing of the couple has been heard since
it was sent (api/core/notices.py: what the worker has heard is what its reads trust)."""

import operator
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from api.core.cache import LRUCache
from api.core.conditional import content_tag
from api.core.db import Database
from api.core.errors import not_found
from api.core.notices import ChangeClock
from api.core.sql import Current, Record, Statement
from api.trends.memory import (
    Basis,
    Made,
    RawRow,
    Version,
    Week,
    WindowKey,
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
from models.trend import BankAccount, Last7Days, Summary, WeekFigures, WeeklyTrends
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
        return _habits(self.checkins, self.activities, last_activity_at, timezone, began_at)


def _habits(
    checkins: dict[date, CheckinTally],
    activities: dict[date, ActivityTally],
    last_activity_at: datetime | None,
    timezone: str,
    began_at: datetime,
) -> Habits:
    return Habits(
        checkins,
        activities,
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
# the last activity before the window's end, in a first row (`source` 'couple'); a row
# per partner (`source` 'member': `responder_id` the partner, `n0` the slot); then a
# row per rollup row of the weeks read (bids, check-ins and activities). A single
# statement, so all of it comes from one snapshot; the couple's values come once, not
# on every rollup row (a year of weeks is some 200 rows). The subqueries name no outer
# column, so each runs once, whatever the plan. On PostgreSQL the couple's row names
# the statement's snapshot; and a read after one of the window (`since` its snapshot)
# reads the rollup rows only of the weeks written by transactions that read did not
# see (alembic/versions/0015), each named by a row (`source` 'written').
_COUPLE_COLUMNS = [
    "timezone",
    "week_starts",
    *_WEIGHTS,
    "created_at",
    "updated_at",
    "version",
    "toward_before",
    "away_before",
    "against_before",
    "last_bid_at",
    "last_activity_at",
    "snapshot",
]
_IN_WINDOW = "couple_id = :couple_id AND week_start >= :first_week AND week_start <= :last_week"
_WRITTEN_SINCE = f"""
    SELECT week_start FROM rollup_weeks
    WHERE {_IN_WINDOW} AND NOT pg_visible_in_snapshot(
        CAST(CAST(written AS text) AS xid8), CAST(:since AS pg_snapshot))
"""


def _weeks_statement(snapshot: str, since: bool = False) -> Statement:
    """`snapshot`: the expression of the couple's row's `snapshot`; `since`: the rows of
    the weeks written since the snapshot `:since` only."""
    # The weeks written, found once, as an array, which a plan made for any `:since` (a
    # prepared statement's) looks up by the rollups' keys.
    weeks = _IN_WINDOW + (
        " AND week_start = ANY(ARRAY(SELECT week_start FROM written))" if since else ""
    )
    couple_nulls = ", ".join("NULL" for _ in _COUPLE_COLUMNS)
    value_nulls = ", ".join("CAST(NULL AS integer)" for _ in _VALUES[1:])
    written = f"""
    UNION ALL
    SELECT 'written', {couple_nulls}, w.week_start, CAST(NULL AS uuid),
           CAST(NULL AS integer), {value_nulls}
    FROM written AS w
    """
    return Statement(
        f"""
        {f"WITH written AS MATERIALIZED ({_WRITTEN_SINCE})" if since else ""}
        SELECT 'couple' AS source, c.timezone, c.week_starts,
               {", ".join(f"c.{name}" for name in _WEIGHTS)}, c.created_at, c.updated_at,
               (SELECT version FROM bid_versions WHERE couple_id = :couple_id) AS version,
               earlier.toward AS toward_before, earlier.away AS away_before,
               earlier.against AS against_before,
               (SELECT occurred_at FROM bids
                WHERE couple_id = :couple_id AND deleted_at IS NULL AND occurred_at < :until
                ORDER BY occurred_at DESC LIMIT 1) AS last_bid_at,
               (SELECT occurred_at FROM activities
                WHERE couple_id = :couple_id AND deleted_at IS NULL AND occurred_at < :until
                ORDER BY occurred_at DESC LIMIT 1) AS last_activity_at,
               {snapshot} AS snapshot,
               NULL AS week_start, {", ".join(f"NULL AS {name}" for name in _ROLLUP_COLUMNS)}
        FROM couples AS c
        CROSS JOIN (
            SELECT coalesce(sum(toward), 0) AS toward, coalesce(sum(away), 0) AS away,
                   coalesce(sum(against), 0) AS against
            FROM bid_weeks WHERE couple_id = :couple_id AND week_start < :first_week
        ) AS earlier
        WHERE c.id = :couple_id
        UNION ALL
        SELECT 'member', {couple_nulls}, CAST(NULL AS date), m.user_id, m.slot, {value_nulls}
        FROM couple_members AS m WHERE m.couple_id = :couple_id
        {written if since else ""}
        UNION ALL
        SELECT w.source, {couple_nulls},
               {", ".join(f"w.{name}" for name in ["week_start", *_ROLLUP_COLUMNS])}
        FROM ({rollups_sql(weeks, SEEN_BY_VIEWER)}) AS w
        """,
        {
            "couple_id": _UUID,
            "first_week": _DATE,
            "last_week": _DATE,
            "until": _TIME,
            "viewer": _UUID,
            "since": sa.String(),
        },
        {
            **ROLLUP_RESULT_TYPES,
            "created_at": _TIME,
            "updated_at": _TIME,
            "last_bid_at": _TIME,
            "last_activity_at": _TIME,
        },
    )


# SQLite's (which has no snapshots to name); PostgreSQL's, every week and the weeks
# written since a snapshot.
_WEEKS = _weeks_statement("NULL")
_WEEKS_PG = _weeks_statement("CAST(pg_current_snapshot() AS text)")
_WEEKS_SINCE = _weeks_statement("CAST(pg_current_snapshot() AS text)", since=True)

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

    def last(self, couple_id: uuid.UUID) -> tuple[State, bool] | None:
        """The state last read of the couple, and whether it is trusted (else its
        calendar is the likeliest, where a read of the couple's weeks starts)."""
        found = self._states.get(couple_id)
        if found is None:
            return None
        return found[1], self.clock.unchanged(couple_id, found[0])

    def current(self, couple_id: uuid.UUID) -> Current:
        """A read of the couple running is as good as a new one while nothing of it has
        been heard since it was sent, as a state read then is trusted."""
        return Current(self.clock.mark, lambda mark: self.clock.unchanged(couple_id, mark))

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
    _check_reader(state, couple_id, reader)
    assert state is not None
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
    now = utcnow()
    viewer = reader if isinstance(reader, uuid.UUID) else None
    last = None if known is None or not cache.size else known.last(couple_id)
    mark = None if known is None else known.clock.mark()
    # (Not for someone the couple's state read last does not name: the read of the
    # state alone tells them, or a partner who just joined, at less cost.)
    if (
        last is not None
        and known is not None
        and not last[1]
        and mark is not None
        and (viewer is None or viewer in last[0].partners)
    ):
        # A change was heard since the state was read (a write, most often): it has to
        # be computed again, so the state is read with the weeks, in one statement.
        read = await _read_weeks(
            database,
            couple_id,
            last[0],
            viewer,
            weeks=weeks,
            end=end,
            now=now,
            bases=cache.bases,
            current=known.current(couple_id),
        )
        known.put(couple_id, mark, read.state)
        _check_reader(read.state, couple_id, reader)
        return await _computed(cache, read, viewer, weeks=weeks), now
    state = await _state(database, couple_id, reader, known)
    last_week = calendar.week_of(end or calendar.local_date(now, state.timezone), state.week_starts)
    key = (couple_id, state.version, weeks, last_week, viewer)
    computed = cache.computed.get(key)
    if computed is not None:
        return computed, now

    # Never joining a read of the weeks running (`current`): the state may have been read
    # from the database just now, with a write committed before it that no notice has
    # told of yet, and the weeks must be at least as new.
    async def compute() -> Computed:
        read = await _read_weeks(
            database,
            couple_id,
            state,
            viewer,
            weeks=weeks,
            end=end,
            now=now,
            bases=cache.bases,
        )
        return await _computed(cache, read, viewer, weeks=weeks, shared=False)

    if not cache.size:
        return await compute(), now
    return await cache.running.get(key, compute), now


async def _computed(
    cache: TrendsCache,
    read: "_WeeksRead",
    viewer: uuid.UUID | None,
    *,
    weeks: int,
    shared: bool = True,
) -> Computed:
    """The trends of the weeks read: remembered, or computed from the window's last
    computation and remembered. `shared`: concurrent computations of one version share
    one (else the caller shares them)."""
    key = (read.couple_id, read.state.version, weeks, read.last_week, viewer)
    computed = cache.computed.get(key)
    if computed is not None:
        return computed

    async def compute() -> Computed:
        window = (read.couple_id, weeks, read.last_week, viewer)
        computed, basis = _compute(read, viewer, weeks=weeks)
        cache.computed.put(key, computed)
        cache.bases.put(window, basis)
        return computed

    if not shared or not cache.size:
        return await compute()
    return await cache.running.get(key, compute)


def _check_reader(state: State | None, couple_id: uuid.UUID, reader: Reader) -> None:
    """A 404 unless `reader` is a partner of the couple, or a read granted on it."""
    granted = isinstance(reader, Granted) and reader.couple_id == couple_id
    if state is None or not (granted or reader in state.partners):
        raise not_found("couple")


# A rollup row of `_WEEKS` as a read compares it (`RawRow`), and where its values are:
# taken by name from SQLite's rows (mappings), by position from asyncpg's records (a
# third of the time: a year of weeks is some 200 rows of 33 columns).
_RAW_COLUMNS = ["source", "week_start", *_ROLLUP_COLUMNS]
_WEEKS_COLUMNS = ["source", *_COUPLE_COLUMNS, *_RAW_COLUMNS[1:]]
_RAW_BY_NAME = operator.itemgetter(*_RAW_COLUMNS)
_RAW_BY_POSITION = operator.itemgetter(*(_WEEKS_COLUMNS.index(name) for name in _RAW_COLUMNS))
_RESPONDER_AT, _VALUES_AT = 2, 3
_VALUE_SLICES = {
    source: slice(_VALUES_AT, _VALUES_AT + len(values))
    for source, (_, values, _) in _BRANCHES.items()
}


def _rows_by_week(
    rows: Sequence[Record], weeks: Sequence[date]
) -> tuple[dict[date, tuple[RawRow, ...]], list[tuple[int, uuid.UUID]], set[date]]:
    """Each week's rollup rows, in the statement's order (rows that read the same make
    the same figures; rows that read otherwise, even in another order, are computed
    again); the couple's partners, with their slots; and the weeks the statement names
    as written since a snapshot."""
    by_week: dict[date, list[RawRow]] = {week: [] for week in weeks}
    members: list[tuple[int, uuid.UUID]] = []
    written: set[date] = set()
    raw = _RAW_BY_NAME if rows and isinstance(rows[0], Mapping) else _RAW_BY_POSITION
    for row in map(raw, rows):
        source = row[0]
        if source == "written":
            written.add(row[1])
            continue
        found = by_week.get(row[1])
        if found is not None:
            found.append(row)
        elif source == "member":
            members.append((row[_VALUES_AT], row[_RESPONDER_AT]))
    return {week: tuple(found) for week, found in by_week.items()}, members, written


def _made(rows: Sequence[RawRow]) -> Made:
    """What a week's rows make."""
    bids: list[RollupRow] = []
    checkins = activities = None
    for row in rows:
        source = row[0]
        if source == "bids":
            counts = row[_VALUE_SLICES["bids"]]
            bids.append(RollupRow.of(row[1], row[_RESPONDER_AT], counts))
        elif source == "checkins":
            checkins = CheckinTally.of(row[_VALUE_SLICES["checkins"]])
        elif source == "activities":
            activities = ActivityTally.of(row[_VALUE_SLICES["activities"]])
    return Made(bids, figures.tally(bids), checkins, activities)


def _week(
    kept: Week | None,
    rows: tuple[RawRow, ...] | None,
    made: Made,
    computed: WeekFigures,
    span: tuple[int, int] | None,
) -> Week:
    """A week of the new computation: the one kept when it is the same."""
    if kept is not None and kept.span == span:
        return kept
    return Week(rows, made, computed, span)


def _couple_row(rows: Sequence[Record]) -> Record:
    """The row of `_WEEKS` with the couple's values; a 404 when the couple is gone."""
    for row in rows:
        if row["source"] == "couple":
            return row
    raise not_found("couple")


def _ahead(kept: str, current: str) -> bool:
    """Whether the snapshot `kept` is further on than `current` (both
    `xmin:xmax:xips`): it was not taken of this database's history."""
    return int(kept.split(":")[1]) > int(current.split(":")[1])


@dataclass(frozen=True)
class _WeeksRead:
    """What the weeks' statement read of a couple for a window: the rollup rows of each
    week read (`raw`), the couple's row (`settings`) and state, the window in the
    couple's calendar as read, what every week's figures depend on besides its own rows
    (`context`), and the window's last computation (`basis`) when that still holds."""

    couple_id: uuid.UUID
    settings: Record
    raw: dict[date, tuple[RawRow, ...]]
    state: State
    last_week: date
    window: tuple[date, ...]
    read: tuple[date, ...]
    window_end: datetime
    earlier: Tally
    context: tuple[Any, ...]
    basis: Basis | None
    # The weeks of `basis` that no transaction wrote since its read (None: not known;
    # compare the rows); their rows were not read.
    unchanged: set[date] | None


# Reads of a window's weeks before its calendar is taken as read: a calendar changed
# between two reads is read again in the new one.
_READS = 3


async def _read_weeks(
    database: Database,
    couple_id: uuid.UUID,
    guess: State,
    viewer: uuid.UUID | None,
    *,
    weeks: int,
    end: date | None,
    now: datetime,
    bases: LRUCache[WindowKey, Basis] | None = None,
    current: Current | None = None,
) -> _WeeksRead:
    """The couple's weeks of the window, in the calendar of `guess` (a state read
    before): when the statement finds another (a new time zone re-buckets the weeks),
    read again in that one. On PostgreSQL, with the window's last computation in
    `bases`, only the weeks written since its read are read; the others are its own,
    unless what they depend on changed, when all are read again. A 404 when the couple
    is gone."""
    timezone, week_starts = guess.timezone, guess.week_starts
    postgresql = database.driver_pool is not None
    for attempt in range(_READS):
        final = attempt == _READS - 1
        last_week = calendar.week_of(end or calendar.local_date(now, timezone), week_starts)
        window = calendar.window(last_week, weeks)
        read = calendar.window(last_week, max(weeks, figures.SUMMARY_WEEKS))
        window_end = calendar.day_start(last_week + calendar.WEEK, timezone)
        basis = None if bases is None else bases.get((couple_id, weeks, last_week, viewer))
        since = basis.snapshot if basis is not None and postgresql and not attempt else None
        statement = _WEEKS_SINCE if since else _WEEKS_PG if postgresql else _WEEKS
        # Concurrent reads of a window share the statement: one that begins after they
        # ask, or (`current`) one running that began after the couple's last change heard.
        rows = await database.fetch_shared(
            statement,
            current=current,
            couple_id=couple_id,
            first_week=read[0],
            last_week=last_week,
            until=window_end,
            viewer=viewer,
            since=since,
        )
        settings = _couple_row(rows)
        if (settings["timezone"], settings["week_starts"]) != (timezone, week_starts):
            timezone, week_starts = settings["timezone"], settings["week_starts"]
            if not final:
                continue
        raw, members, written = _rows_by_week(rows, read)
        partners = tuple(partner for _, partner in sorted(members))
        version = _version(settings, partners)
        earlier = Tally(
            toward=settings["toward_before"],
            away=settings["away_before"],
            against=settings["against_before"],
        )
        context = (*version[:-1], read, earlier)
        # A snapshot of another history (a database restored) tells nothing here.
        if basis is not None and (
            basis.context != context or (since and _ahead(since, settings["snapshot"]))
        ):
            basis = None
            if since:
                continue  # not final: only the first read is of the weeks written
        break
    state = State(timezone, week_starts, settings["created_at"], partners, version)
    return _WeeksRead(
        couple_id,
        settings,
        raw,
        state,
        last_week,
        window,
        read,
        window_end,
        earlier,
        context,
        basis,
        {week for week in read if week not in written} if since and basis is not None else None,
    )


def _compute(found: _WeeksRead, viewer: uuid.UUID | None, *, weeks: int) -> tuple[Computed, Basis]:
    """The trends of the window, and the parts to compute its next version from. The
    weeks of the window's last computation that are unchanged (written since by no
    transaction, or read the same) are taken as they are, up to the first that is not."""
    settings, state, raw = found.settings, found.state, found.raw
    couple_id, read, window = found.couple_id, found.read, found.window
    timezone, week_starts = state.timezone, state.week_starts
    basis, earlier, context = found.basis, found.earlier, found.context
    weights = Weights.of(settings)
    known = basis.weeks if basis is not None else {}
    # The weeks before the first written since the window's last read (or, with no
    # snapshot to tell, whose rows read otherwise) keep what they made, their figures
    # and JSON; from it on each week is computed again (its balance carries on from the
    # week before), from what a week not read this time made before.
    unchanged = found.unchanged

    def same(week: date) -> bool:
        kept = known.get(week)
        if kept is None:
            return False
        if unchanged is not None:
            return week in unchanged
        return kept.rows is not None and kept.rows == raw[week]

    first = next((index for index, week in enumerate(read) if not same(week)), len(read))
    made = {
        week: known[week].made
        if index < first or (unchanged is not None and week in unchanged)
        else _made(raw[week])
        for index, week in enumerate(read)
    }
    habits = _habits(
        {week: m.checkins for week, m in made.items() if m.checkins is not None},
        {week: m.activities for week, m in made.items() if m.activities is not None},
        settings["last_activity_at"],
        timezone,
        state.created_at,
    )
    habit_weeks = habits.weekly(read)
    balance_before = (
        known[read[first - 1]].figures["balance"]
        if first
        else figures.amounts(earlier, weights).net
    )
    weekly = [known[week].figures for week in read[:first]] + figures.week_figures(
        read[first:],
        [row for week in read[first:] for row in made[week].bids],
        state.partners,
        weights,
        balance_before=balance_before,
        habits=habit_weeks,
    )
    recent_rows = [row for week in read[-figures.RECENT_WEEKS :] for row in made[week].bids]
    summary = summary_of(
        {week: made[week].tally for week in read},
        recent_rows,
        window,
        read,
        state.partners,
        habits,
        habit_weeks,
    )
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
        week: _week(
            known.get(week) if index < first else None,
            raw[week] if found.settings["snapshot"] is None else None,
            made[week],
            weekly[index],
            spans[index - shown] if index >= shown else None,
        )
        for index, week in enumerate(read)
    }
    computed = Computed(
        trends=trends,
        body=body,
        tag=content_tag(body),
        last_bid_at=settings["last_bid_at"],
        couple_since=state.created_at,
        window_end=found.window_end,
    )
    return computed, Basis(context, parts, body, settings["snapshot"])


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
    recent_start = read[-figures.RECENT_WEEKS]
    return summary_of(
        {week: figures.tally(rows) for week, rows in rows_by_week.items()},
        [row for row in counts if recent_start <= row.week_start <= read[-1]],
        window,
        read,
        partners,
        habits,
        habit_weeks,
    )


def summary_of(
    by_week: dict[date, Tally],
    recent_rows: Sequence[RollupRow],
    window: Sequence[date],
    read: Sequence[date],
    partners: Sequence[uuid.UUID],
    habits: Habits,
    habit_weeks: HabitWeeks,
) -> Summary:
    """`summarise`, from each week's bids summed (`by_week`, every week of `read`) and
    the rollup rows of its last RECENT_WEEKS weeks."""
    summary_weeks = read[-figures.SUMMARY_WEEKS :]
    return figures.summary(
        [by_week[week] for week in window],
        [(week, by_week[week]) for week in summary_weeks],
        recent_rows,
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
