"""The caseload: every couple whose two partners both granted the therapist access,
with the figures a dashboard ranks them by. At most three statements read it, however
many couples there are: the couples (settings, partners, last bid, the version of
their figures); then, for the couples whose readings this process does not hold for
that version already, the rollup rows of the weeks the figures need and the time of
their latest shared activity. Paging through a caseload thus reads the rollups once."""

import bisect
import functools
import json
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from api.core import cursor as cursors
from api.core.cache import LRUCache
from api.core.conditional import content_tag
from api.core.db import Database
from api.core.errors import invalid
from api.core.notices import ChangeClock
from api.core.sql import ID_LISTS, Record, Statement
from api.therapists import risk
from api.therapists.grants import BOTH
from api.trends.service import (
    ROLLUP_RESULT_TYPES,
    ROLLUP_SELECT,
    Rollups,
    rollups_sql,
    summarise,
)
from models import calendar, figures
from models.base import UTCDateTime, utcnow
from models.couple import PartnerPublic, Weights
from models.figures import ActivityTally, CheckinTally, Tally
from models.therapist import CaseloadCouple, PeriodFigures, RiskFactor
from models.trend import Flag, Summary
from models.vocabulary import WeekStart

_UUID = sa.Uuid()
_DATE = sa.Date()
_TIME = UTCDateTime()

# The couples whose two partners' grants for this therapist both stand, one row per
# partner; the lookups of each couple's version and last bid run once per couple, in
# the grouped subquery.
_COUPLES = Statement(
    f"""
    SELECT c.id AS couple_id, c.timezone, c.week_starts, c.weight_toward, c.weight_away,
           c.weight_against, c.created_at, a.access_since, a.version, a.last_bid_at,
           m.user_id, u.display_name
    FROM (
        SELECT g.couple_id, max(g.granted_at) AS access_since,
               (SELECT version FROM bid_versions AS v WHERE v.couple_id = g.couple_id)
                 AS version,
               (SELECT max(b.occurred_at) FROM bids AS b
                WHERE b.couple_id = g.couple_id AND b.deleted_at IS NULL) AS last_bid_at
        FROM therapist_grants AS g
        WHERE g.therapist_id = :therapist_id
        GROUP BY g.couple_id HAVING count(*) = {BOTH}
    ) AS a
    JOIN couples AS c ON c.id = a.couple_id
    JOIN couple_members AS m ON m.couple_id = c.id
    JOIN users AS u ON u.id = m.user_id
    ORDER BY c.id, m.slot
    """,
    {"therapist_id": _UUID},
    {
        "couple_id": _UUID,
        "created_at": _TIME,
        "access_since": _TIME,
        "last_bid_at": _TIME,
        "user_id": _UUID,
    },
)

# The bids of the weeks the summary reads; the check-ins and activities only of the
# weeks its flags and the periods shown read.
_WEEKS_RELATION = rollups_sql(
    "week_start >= :since AND couple_id {couples}",
    habits_where="week_start >= :habits_since AND couple_id {couples}",
)
_WEEKS_SQL = f"SELECT w.couple_id, {ROLLUP_SELECT} FROM ({_WEEKS_RELATION}) AS w"
_WEEKS_RESULT = ROLLUP_RESULT_TYPES
_WEEKS = {
    dialect: Statement(
        _WEEKS_SQL.format(couples=ids.condition("couple_ids")),
        {"since": _DATE, "habits_since": _DATE, "couple_ids": ids.type},
        _WEEKS_RESULT,
    )
    for dialect, ids in ID_LISTS.items()
}
# The latest shared activity of each couple (`no-shared-time`): it changes only with
# the version of the couple's figures, so it is read with the rollups. One look into
# the index of each couple's activities by time, not a scan of them all.
_LATEST_ACTIVITIES = {
    dialect: Statement(
        f"""
        SELECT ids.id AS couple_id,
               (SELECT max(occurred_at) FROM activities
                WHERE couple_id = ids.id AND deleted_at IS NULL) AS last_activity_at
        FROM {ids.relation("couple_ids")}
        """,
        {"couple_ids": ids.type},
        {"couple_id": _UUID, "last_activity_at": _TIME},
    )
    for dialect, ids in ID_LISTS.items()
}


# Every zone's today lies within a day of UTC's, and the read ends with today's week.
_READ_WEEKS = max(figures.DEFAULT_WEEKS, figures.SUMMARY_WEEKS)
_LOOKBACK = timedelta(days=7 * _READ_WEEKS + 1)
_HABITS_LOOKBACK = timedelta(days=7 * figures.SUMMARY_WEEKS + 1)


@dataclass
class _Couple:
    couple_id: uuid.UUID
    timezone: str
    week_starts: str
    weights: Weights
    created_at: datetime
    access_since: datetime
    last_bid_at: datetime | None
    version: int | None
    partners: list[PartnerPublic]

    def key(self, this_week: date) -> "ReadingsKey":
        partners = tuple(partner.id for partner in self.partners)
        return (self.couple_id, self.version, self.timezone, self.week_starts, partners, this_week)


# Everything the readings depend on: the version of the figures, the calendar, the
# partners and the current week. Weights, names and the time of day apply on reading.
ReadingsKey = tuple[uuid.UUID, int | None, str, str, tuple[uuid.UUID, ...], date]


@dataclass(frozen=True)
class Period:
    """A run of whole weeks: its bids, check-ins and activities."""

    bids: Tally
    checkins: CheckinTally
    activities: ActivityTally


@dataclass(frozen=True)
class Readings:
    """What a couple's rollup rows say as of one week: its summary, the bids of the last
    4 weeks to this one, and the figures of last week and of the 4 whole weeks to it."""

    summary: Summary
    recent: Tally
    last_week: Period
    last_4_weeks: Period


def _couples(rows: Sequence[Record]) -> list[_Couple]:
    found: dict[uuid.UUID, _Couple] = {}
    for row in rows:
        couple = found.get(row["couple_id"])
        if couple is None:
            couple = found[row["couple_id"]] = _Couple(
                couple_id=row["couple_id"],
                timezone=row["timezone"],
                week_starts=row["week_starts"],
                weights=Weights.of(row),
                created_at=row["created_at"],
                access_since=row["access_since"],
                last_bid_at=row["last_bid_at"],
                version=row["version"],
                partners=[],
            )
        couple.partners.append(PartnerPublic(id=row["user_id"], display_name=row["display_name"]))
    return list(found.values())


def _this_week(couple: _Couple, now: datetime) -> date:
    return calendar.week_of(calendar.local_date(now, couple.timezone), couple.week_starts)


def _readings(
    couple: _Couple, rollups: Rollups, last_activity_at: datetime | None, this_week: date
) -> Readings:
    """As the default trends read (12 weeks to this one) summarises the couple, for a
    therapist: every check-in counts."""
    window = calendar.window(this_week, _READ_WEEKS)
    partner_ids = [partner.id for partner in couple.partners]
    counts = rollups.bids
    habits = rollups.habits(last_activity_at, couple.timezone, couple.created_at)
    habit_weeks = habits.weekly(window)
    summary = summarise(
        counts, window[-figures.DEFAULT_WEEKS :], window, partner_ids, habits, habit_weeks
    )
    last_week = this_week - calendar.WEEK

    def between(first: date, last: date) -> Period:
        weeks = [habit_weeks[week] for week in window if first <= week <= last]
        return Period(
            bids=figures.tally(row for row in counts if first <= row.week_start <= last),
            checkins=CheckinTally.total(checkins for checkins, _ in weeks),
            activities=ActivityTally.total(activities for _, activities in weeks),
        )

    return Readings(
        summary=summary,
        recent=between(window[-figures.RECENT_WEEKS], this_week).bids,
        last_week=between(last_week, last_week),
        last_4_weeks=between(last_week - 3 * calendar.WEEK, last_week),
    )


def _period(first: date, last: date, total: "Period", weights: Weights) -> PeriodFigures:
    return PeriodFigures(
        first_week=first,
        last_week=last,
        **figures.counted(total.bids, weights),
        checkins=figures.checkin_figures(total.checkins),
        activities=figures.activity_figures(total.activities),
    )


@dataclass(frozen=True)
class _Ranked:
    """A couple's readings as of now, and its risk: what ranks it."""

    couple: _Couple
    readings: Readings
    this_week: date
    flags: list[Flag]
    risk: int
    factors: list[RiskFactor]

    @classmethod
    def of(cls, couple: _Couple, readings: Readings, this_week: date, now: datetime) -> "_Ranked":
        # The window ends with this week, which holds now: the quiet spell runs to now.
        quiet = figures.quiet(couple.last_bid_at, couple.created_at, now)
        flags = [*readings.summary.flags, *([quiet] if quiet is not None else [])]
        score, factors = risk.score(readings.recent, readings.summary, flags)
        return cls(couple, readings, this_week, flags, score, factors)

    @property
    def rank(self) -> tuple[int, uuid.UUID]:
        return -self.risk, self.couple.couple_id


def _entry(ranked: _Ranked) -> CaseloadCouple:
    couple, readings, this_week = ranked.couple, ranked.readings, ranked.this_week
    summary = readings.summary
    last_week = this_week - calendar.WEEK
    return CaseloadCouple(
        couple_id=couple.couple_id,
        partners=couple.partners,
        timezone=couple.timezone,
        week_starts=WeekStart(couple.week_starts),
        weights=couple.weights,
        access_since=couple.access_since,
        last_activity_on=(
            None
            if couple.last_bid_at is None
            else calendar.local_date(couple.last_bid_at, couple.timezone)
        ),
        turn_toward_rate_4w=summary.turn_toward_rate_4w,
        last_week=_period(last_week, last_week, readings.last_week, couple.weights),
        last_4_weeks=_period(
            last_week - 3 * calendar.WEEK, last_week, readings.last_4_weeks, couple.weights
        ),
        direction=summary.direction,
        turn_toward_change=summary.turn_toward_change,
        pursuer_distancer=summary.pursuer_distancer,
        flags=ranked.flags,
        risk=ranked.risk,
        risk_factors=ranked.factors,
    )


async def _read_weeks(
    database: Database, couples: Sequence[_Couple], now: datetime
) -> dict[uuid.UUID, tuple[Rollups, datetime | None]]:
    """Each couple's rollup rows of the weeks read, and its latest shared activity."""
    dialect = database.engine.dialect.name
    ids = ID_LISTS[dialect].of([couple.couple_id for couple in couples])
    rows = await database.fetch(
        _WEEKS[dialect],
        couple_ids=ids,
        since=now.date() - _LOOKBACK,
        habits_since=now.date() - _HABITS_LOOKBACK,
    )
    latest = {
        row["couple_id"]: row["last_activity_at"]
        for row in await database.fetch(_LATEST_ACTIVITIES[dialect], couple_ids=ids)
    }
    by_couple: dict[uuid.UUID, list[Record]] = {couple.couple_id: [] for couple in couples}
    for row in rows:
        by_couple[row["couple_id"]].append(row)
    return {
        couple_id: (Rollups.of(found), latest.get(couple_id))
        for couple_id, found in by_couple.items()
    }


def _ranking(
    couples: Sequence[_Couple],
    readings: dict[uuid.UUID, Readings],
    weeks: dict[uuid.UUID, date],
    now: datetime,
    mark: int | None,
) -> "Ranking":
    ranked = sorted(
        (
            _Ranked.of(couple, readings[couple.couple_id], weeks[couple.couple_id], now)
            for couple in couples
        ),
        key=lambda entry: entry.rank,
    )
    until = min(
        [
            calendar.next_quarter_hour(now),
            *(figures.quiet_until(c.last_bid_at, c.created_at, now) for c in couples),
        ]
    )
    return Ranking(ranked, mark, until)


# The pages of one ranking kept with it: a dashboard asks for the same few.
_PAGES_KEPT = 8


class Ranking:
    """A therapist's whole caseload, ranked as of one moment: the same until
    `valid_until` (a new local date, a `not-logging` flag that comes or moves on) but for
    what changes in the database, which a ranking `mark`ed by the change clock tells
    (CaseloadMemory)."""

    def __init__(self, ranked: list[_Ranked], mark: int | None, valid_until: datetime) -> None:
        self.ranked = ranked
        self.mark = mark
        self.valid_until = valid_until
        self.couple_ids = [entry.couple.couple_id for entry in ranked]
        self._ranks = [entry.rank for entry in ranked]
        self._entries: dict[uuid.UUID, bytes] = {}
        self._pages: LRUCache[tuple[tuple[int, uuid.UUID] | None, int], Page] = LRUCache(
            _PAGES_KEPT
        )

    def page(self, after: tuple[int, uuid.UUID] | None, limit: int) -> "Page":
        """The `limit` couples ranked after `after` (a position in this or any earlier
        ranking: a couple whose risk changed between two pages may show on both or on
        neither)."""
        found = self._pages.get((after, limit))
        if found is None:
            first = 0 if after is None else bisect.bisect_right(self._ranks, (-after[0], after[1]))
            shown = self.ranked[first : first + limit]
            next_cursor = None
            if first + limit < len(self.ranked):
                last = shown[-1]
                next_cursor = cursors.encode_rank(last.risk, last.couple.couple_id)
            found = Page(
                [entry.couple.couple_id for entry in shown],
                [self._entry(entry) for entry in shown],
                next_cursor,
            )
            self._pages.put((after, limit), found)
        return found

    def _entry(self, ranked: _Ranked) -> bytes:
        couple_id = ranked.couple.couple_id
        body = self._entries.get(couple_id)
        if body is None:
            body = self._entries[couple_id] = _entry(ranked).model_dump_json().encode()
        return body


@dataclass(frozen=True)
class Page:
    """A page of a ranking: its couples, and each one's entry as JSON."""

    couple_ids: list[uuid.UUID]
    entries: list[bytes]
    next_cursor: str | None

    def without(self, hidden: set[uuid.UUID]) -> "Page":
        kept = [index for index, couple_id in enumerate(self.couple_ids) if couple_id not in hidden]
        return Page(
            [self.couple_ids[index] for index in kept],
            [self.entries[index] for index in kept],
            self.next_cursor,
        )

    # Joined on each answer, not kept: the pages a ranking keeps hold its entries'
    # bytes, not copies of them.
    @property
    def body(self) -> bytes:
        """`Caseload` as JSON, made of the entries as they are."""
        return b"".join(
            (
                b'{"items":[',
                b",".join(self.entries),
                b'],"next_cursor":',
                json.dumps(self.next_cursor).encode(),
                b"}",
            )
        )

    @functools.cached_property
    def tag(self) -> str:
        return content_tag(self.body)


class CaseloadMemory:
    """What this worker computed of caseloads. Each couple's readings, by everything
    they depend on (ReadingsKey, read on every computation). And each therapist's
    ranking, trusted with no statement until its `valid_until` while nothing of the
    therapist's grants (alembic/versions/0009) or of any couple in it has been heard
    since before it was read (api/core/notices.py): never on SQLite, which has no
    notices. A couple whose access ended is never shown from memory: the access log's
    entry, which checks the grants, comes first (api/therapists/service.py). Rankings
    held count against `size` by their couples."""

    def __init__(self, clock: ChangeClock | None, size: int) -> None:
        self.clock = clock
        self.size = size
        self.readings: LRUCache[ReadingsKey, Readings] = LRUCache(size)
        self._held: OrderedDict[uuid.UUID, Ranking] = OrderedDict()
        self._holding = 0

    def mark(self) -> int | None:
        return None if self.clock is None else self.clock.mark()

    def held(self, therapist_id: uuid.UUID, now: datetime) -> Ranking | None:
        ranking = self._held.get(therapist_id)
        if ranking is None:
            return None
        if not self._unchanged(therapist_id, ranking) or now >= ranking.valid_until:
            self.forget(therapist_id)
            return None
        self._held.move_to_end(therapist_id)
        return ranking

    def _unchanged(self, therapist_id: uuid.UUID, ranking: Ranking) -> bool:
        clock, mark = self.clock, ranking.mark
        if clock is None or mark is None or not clock.unchanged(therapist_id, mark):
            return False
        if clock.mark() == mark:
            return True  # nothing at all heard since
        return all(clock.unchanged(couple_id, mark) for couple_id in ranking.couple_ids)

    def hold(self, therapist_id: uuid.UUID, ranking: Ranking) -> None:
        self.forget(therapist_id)
        if ranking.mark is None or not ranking.ranked or len(ranking.ranked) > self.size:
            return
        self._held[therapist_id] = ranking
        self._holding += len(ranking.ranked)
        while self._holding > self.size:
            _, forgotten = self._held.popitem(last=False)
            self._holding -= len(forgotten.ranked)

    def forget(self, therapist_id: uuid.UUID) -> None:
        forgotten = self._held.pop(therapist_id, None)
        if forgotten is not None:
            self._holding -= len(forgotten.ranked)


async def ranking(
    database: Database, memory: CaseloadMemory, therapist_id: uuid.UUID, *, held: bool = True
) -> Ranking:
    """The therapist's caseload, highest risk first (ties by couple id): as held, or
    read (with `held` false, read in any case)."""
    now = utcnow()
    if held:
        kept = memory.held(therapist_id, now)
        if kept is not None:
            return kept
    # Taken before the read: a change heard after it may be in the read or not, and
    # makes the ranking untrusted either way.
    mark = memory.mark()
    couples = _couples(await database.fetch(_COUPLES, therapist_id=therapist_id))
    weeks = {couple.couple_id: _this_week(couple, now) for couple in couples}
    readings: dict[uuid.UUID, Readings] = {}
    missing = []
    for couple in couples:
        known = memory.readings.get(couple.key(weeks[couple.couple_id]))
        if known is None:
            missing.append(couple)
        else:
            readings[couple.couple_id] = known
    if missing:
        counts = await _read_weeks(database, missing, now)
        for couple in missing:
            this_week = weeks[couple.couple_id]
            found = _readings(couple, *counts[couple.couple_id], this_week)
            memory.readings.put(couple.key(this_week), found)
            readings[couple.couple_id] = found
    computed = _ranking(couples, readings, weeks, now, mark)
    memory.hold(therapist_id, computed)
    return computed


def position(cursor: str | None) -> tuple[int, uuid.UUID] | None:
    """Where a caseload `cursor` says the last page ended (None: at the start)."""
    if cursor is None:
        return None
    after = cursors.decode_rank(cursor)
    if after is None:
        raise invalid("cursor", "is not a cursor this API handed out")
    return after
