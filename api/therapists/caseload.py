"""The caseload: every couple whose two partners both granted the therapist access,
and which the therapist accepted, with the figures a dashboard ranks them by. At most
three statements read it, however many couples there are: the couples (settings,
partners, last bid, the version of their figures); then, for the couples whose
readings this process does not hold for that version already, the rollup rows of the
weeks the figures need and the time of their latest shared activity. Paging through a
caseload thus reads the rollups once; and a worker that listens for changes holds the
whole ranking, and reads none (api/therapists/ranking.py)."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from api.core import cursor as cursors
from api.core.db import Database
from api.core.errors import invalid
from api.core.sql import ID_LISTS, Record, Statement
from api.therapists.grants import ACCEPTED, BOTH
from api.therapists.ranking import CaseloadMemory, Ranking, rank
from api.therapists.readings import (
    READ_WEEKS,
    ListedCouple,
    Readings,
    current_week,
    readings_of,
)
from api.trends.service import ROLLUP_RESULT_TYPES, ROLLUP_SELECT, Rollups, rollups_sql
from models import figures
from models.base import UTCDateTime, utcnow
from models.couple import PartnerPublic, Weights

_UUID = sa.Uuid()
_DATE = sa.Date()
_TIME = UTCDateTime()

# The couples whose two partners' grants for this therapist both stand, accepted by
# it, one row per partner; the lookups of each couple's version and last bid run once
# per couple, in the grouped subquery. Access began when the therapist accepted.
_COUPLES = Statement(
    f"""
    SELECT c.id AS couple_id, c.timezone, c.week_starts, c.weight_toward, c.weight_away,
           c.weight_against, c.created_at, a.access_since, a.version, a.last_bid_at,
           m.user_id, u.display_name
    FROM (
        SELECT g.couple_id, max(g.answered_at) AS access_since,
               (SELECT version FROM bid_versions AS v WHERE v.couple_id = g.couple_id)
                 AS version,
               (SELECT max(b.occurred_at) FROM bids AS b
                WHERE b.couple_id = g.couple_id AND b.deleted_at IS NULL) AS last_bid_at
        FROM therapist_grants AS g
        WHERE g.therapist_id = :therapist_id AND g.answer = '{ACCEPTED}'
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
_LOOKBACK = timedelta(days=7 * READ_WEEKS + 1)
_HABITS_LOOKBACK = timedelta(days=7 * figures.SUMMARY_WEEKS + 1)


def _couples(rows: Sequence[Record]) -> list[ListedCouple]:
    found: dict[uuid.UUID, ListedCouple] = {}
    for row in rows:
        couple = found.get(row["couple_id"])
        if couple is None:
            couple = found[row["couple_id"]] = ListedCouple(
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


async def _read_weeks(
    database: Database, couples: Sequence[ListedCouple], now: datetime
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
    weeks = {couple.couple_id: current_week(couple, now) for couple in couples}
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
            found = readings_of(couple, *counts[couple.couple_id], this_week)
            memory.readings.put(couple.key(this_week), found)
            readings[couple.couple_id] = found
    computed = rank(couples, readings, weeks, now, mark)
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
