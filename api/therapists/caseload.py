"""The caseload: every couple whose two partners both granted the therapist access,
with the figures a dashboard ranks them by. At most three statements read it, however
many couples there are: the couples (settings, partners, last bid, the version of
their figures); then, for the couples whose readings this process does not hold for
that version already, the rollup rows of the weeks the figures need and the time of
their latest shared activity. Paging through a caseload thus reads the rollups once."""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from api.core import cursor as cursors
from api.core.cache import LRUCache
from api.core.db import Database
from api.core.errors import invalid
from api.core.sql import Record, Statement
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
# The couples' ids as one parameter: an array on PostgreSQL, a JSON list on SQLite,
# which keeps UUIDs as 32 hex digits; as a condition and as a relation of `id`s.
_COUPLE_IDS: dict[str, tuple[str, str, sa.types.TypeEngine[Any]]] = {
    "postgresql": (
        "= ANY(:couple_ids)",
        "unnest(:couple_ids) AS ids (id)",
        postgresql.ARRAY(_UUID),
    ),
    "sqlite": (
        "IN (SELECT value FROM json_each(:couple_ids))",
        "(SELECT value AS id FROM json_each(:couple_ids)) AS ids",
        sa.String(),
    ),
}
_WEEKS = {
    dialect: Statement(
        _WEEKS_SQL.format(couples=couples),
        {"since": _DATE, "habits_since": _DATE, "couple_ids": ids},
        _WEEKS_RESULT,
    )
    for dialect, (couples, _, ids) in _COUPLE_IDS.items()
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
        FROM {relation}
        """,
        {"couple_ids": ids},
        {"couple_id": _UUID, "last_activity_at": _TIME},
    )
    for dialect, (_, relation, ids) in _COUPLE_IDS.items()
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


CaseloadCache = LRUCache[ReadingsKey, Readings]


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
    ids: object = [couple.couple_id for couple in couples]
    if dialect == "sqlite":
        ids = json.dumps([couple.couple_id.hex for couple in couples])
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


async def caseload(
    database: Database,
    cache: CaseloadCache,
    therapist_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[CaseloadCouple], str | None]:
    """A page of the caseload, highest risk first (ties by couple id)."""
    after = None
    if cursor is not None:
        after = cursors.decode_rank(cursor)
        if after is None:
            raise invalid("cursor", "is not a cursor this API handed out")
    now = utcnow()
    couples = _couples(await database.fetch(_COUPLES, therapist_id=therapist_id))
    weeks = {couple.couple_id: _this_week(couple, now) for couple in couples}
    readings: dict[uuid.UUID, Readings] = {}
    missing = []
    for couple in couples:
        known = cache.get(couple.key(weeks[couple.couple_id]))
        if known is None:
            missing.append(couple)
        else:
            readings[couple.couple_id] = known
    if missing:
        counts = await _read_weeks(database, missing, now)
        for couple in missing:
            this_week = weeks[couple.couple_id]
            found = _readings(couple, *counts[couple.couple_id], this_week)
            cache.put(couple.key(this_week), found)
            readings[couple.couple_id] = found
    ranked = sorted(
        (
            _Ranked.of(couple, readings[couple.couple_id], weeks[couple.couple_id], now)
            for couple in couples
        ),
        key=lambda entry: entry.rank,
    )
    if after is not None:
        position = (-after[0], after[1])
        ranked = [entry for entry in ranked if entry.rank > position]
    page = [_entry(entry) for entry in ranked[:limit]]
    next_cursor = None
    if len(ranked) > limit:
        next_cursor = cursors.encode_rank(page[-1].risk, page[-1].couple_id)
    return page, next_cursor
