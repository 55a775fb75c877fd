"""The caseload: every couple whose two partners both granted the therapist access,
with the figures a dashboard ranks them by. Two statements read it, however many
couples there are: the couples (settings, partners, last bid, version), then their
rollup rows for the weeks the figures need."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from api import cursor as cursors
from api.db import Database
from api.errors import invalid
from api.sql import Record, Statement
from api.therapists import risk
from api.trends import calendar, figures
from api.trends.figures import Counts
from api.trends.service import summarise
from models.base import UTCDateTime, utcnow
from models.couple import PartnerPublic, Weights
from models.therapist import CaseloadCouple, PeriodFigures
from models.vocabulary import WeekStart

_UUID = sa.Uuid()
_DATE = sa.Date()
_TIME = UTCDateTime()
_COUNTS = ("bids", "toward", "away", "against", "both_views", "agreements", "repairs")

# The couples this therapist may read now: both partners' grants stand.
_ACTIVE = """
    SELECT couple_id, max(granted_at) AS access_since FROM therapist_grants
    WHERE therapist_id = :therapist_id GROUP BY couple_id HAVING count(*) = 2
"""

# One row per partner of each couple.
_COUPLES = Statement(
    f"""
    SELECT c.id AS couple_id, c.timezone, c.week_starts, c.weight_toward, c.weight_away,
           c.weight_against, c.created_at, a.access_since,
           (SELECT max(b.occurred_at) FROM bids AS b
            WHERE b.couple_id = c.id AND b.deleted_at IS NULL) AS last_bid_at,
           m.user_id, u.display_name
    FROM ({_ACTIVE}) AS a
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

_WEEKS = Statement(
    f"""
    SELECT w.couple_id, w.week_start, w.responder_id, {", ".join(f"w.{name}" for name in _COUNTS)}
    FROM bid_weeks AS w
    WHERE w.week_start >= :since
      AND w.couple_id IN (SELECT couple_id FROM ({_ACTIVE}) AS a)
    """,
    {"therapist_id": _UUID, "since": _DATE},
    {"couple_id": _UUID, "week_start": _DATE, "responder_id": _UUID},
)

# Every zone's today lies within a day of UTC's, and the read ends with today's week.
_READ_WEEKS = max(figures.DEFAULT_WEEKS, figures.SUMMARY_WEEKS)
_LOOKBACK = timedelta(days=7 * _READ_WEEKS + 1)


@dataclass
class _Couple:
    couple_id: uuid.UUID
    timezone: str
    week_starts: str
    weights: Weights
    created_at: datetime
    access_since: datetime
    last_bid_at: datetime | None
    partners: list[PartnerPublic]


def _couples(rows: Sequence[Record]) -> list[_Couple]:
    found: dict[uuid.UUID, _Couple] = {}
    for row in rows:
        couple = found.get(row["couple_id"])
        if couple is None:
            couple = found[row["couple_id"]] = _Couple(
                couple_id=row["couple_id"],
                timezone=row["timezone"],
                week_starts=row["week_starts"],
                weights=Weights(
                    toward=row["weight_toward"],
                    away=row["weight_away"],
                    against=row["weight_against"],
                ),
                created_at=row["created_at"],
                access_since=row["access_since"],
                last_bid_at=row["last_bid_at"],
                partners=[],
            )
        couple.partners.append(PartnerPublic(id=row["user_id"], display_name=row["display_name"]))
    return list(found.values())


def _period(weeks: Sequence[date], counts: Sequence[Counts], weights: Weights) -> PeriodFigures:
    first, last = weeks[0], weeks[-1]
    total = figures.tally(row for row in counts if first <= row.week_start <= last)
    money = figures.amounts(total, weights)
    return PeriodFigures(
        first_week=first,
        last_week=last,
        bids=total.bids,
        toward=total.toward,
        away=total.away,
        against=total.against,
        pending=total.bids - total.answered,
        turn_toward_rate=total.turn_toward_rate,
        deposits=money.deposits,
        withdrawals=money.withdrawals,
        net=money.net,
        perception_agreement=total.agreements / total.both_views if total.both_views else None,
        repairs=total.repairs,
    )


def _entry(couple: _Couple, counts: Sequence[Counts], now: datetime) -> CaseloadCouple:
    """The couple as the default trends read (12 weeks to today) summarises it, and
    its whole weeks before this one."""
    this_week = calendar.week_of(calendar.local_date(now, couple.timezone), couple.week_starts)
    window = calendar.window(this_week, _READ_WEEKS)
    partner_ids = [partner.id for partner in couple.partners]
    summary = summarise(counts, window[-figures.DEFAULT_WEEKS :], window, partner_ids)
    window_end = calendar.day_start(this_week + calendar.WEEK, couple.timezone)
    quiet = figures.quiet(couple.last_bid_at, couple.created_at, min(now, window_end))
    flags = [*summary.flags, *([quiet] if quiet is not None else [])]
    recent_start = window[-figures.RECENT_WEEKS]
    recent = figures.tally(row for row in counts if recent_start <= row.week_start <= this_week)
    score, factors = risk.score(recent, summary, flags)
    last_week = this_week - calendar.WEEK
    return CaseloadCouple(
        couple_id=couple.couple_id,
        partners=couple.partners,
        timezone=couple.timezone,
        week_starts=WeekStart(couple.week_starts),
        weights=couple.weights,
        access_since=couple.access_since,
        last_activity_at=couple.last_bid_at,
        last_week=_period([last_week], counts, couple.weights),
        last_4_weeks=_period(calendar.window(last_week, 4), counts, couple.weights),
        direction=summary.direction,
        turn_toward_change=summary.turn_toward_change,
        pursuer_distancer=summary.pursuer_distancer,
        flags=flags,
        risk=score,
        risk_factors=factors,
    )


async def caseload(
    database: Database, therapist_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[CaseloadCouple], str | None]:
    """A page of the caseload, highest risk first (ties by couple id)."""
    after = None
    if cursor is not None:
        after = cursors.decode_rank(cursor)
        if after is None:
            raise invalid("cursor", "is not a cursor this API handed out")
    now = utcnow()
    couples = _couples(await database.fetch(_COUPLES, therapist_id=therapist_id))
    if not couples:
        return [], None
    rows = await database.fetch(_WEEKS, therapist_id=therapist_id, since=now.date() - _LOOKBACK)
    counts: dict[uuid.UUID, list[Counts]] = {}
    for row in rows:
        counts.setdefault(row["couple_id"], []).append(
            Counts(
                week_start=row["week_start"],
                responder_id=row["responder_id"],
                **{name: row[name] for name in _COUNTS},
            )
        )
    entries = sorted(
        (_entry(couple, counts.get(couple.couple_id, []), now) for couple in couples),
        key=lambda entry: (-entry.risk, entry.couple_id),
    )
    if after is not None:
        position = (-after[0], after[1])
        entries = [entry for entry in entries if (-entry.risk, entry.couple_id) > position]
    page = entries[:limit]
    next_cursor = None
    if len(entries) > limit:
        next_cursor = cursors.encode_rank(page[-1].risk, page[-1].couple_id)
    return page, next_cursor
