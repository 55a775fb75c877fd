"""Trend and bank-account reads: a couple's settings, then its rollup rows for the
weeks asked for. Each read is a few driver statements (api/sql.py) whose cost grows
with the weeks read, not with the bids logged."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from api.db import Database
from api.errors import not_found
from api.sql import Record, Statement
from api.trends import calendar, figures
from api.trends.figures import Counts, Tally
from models.base import UTCDateTime, utcnow
from models.couple import Weights
from models.trend import BankAccount, Last7Days, WeeklyTrends

_UUID = sa.Uuid()
_DATE = sa.Date()
_TIME = UTCDateTime()
_COUNTS = ("bids", "toward", "away", "against", "both_views", "agreements", "repairs")
_WEIGHTS = ("weight_toward", "weight_away", "weight_against")

# Who may read, and what decides the window: the couple's calendar and partners.
_CONTEXT = Statement(
    """
    SELECT c.timezone, c.week_starts, c.created_at, m.user_id
    FROM couples AS c JOIN couple_members AS m ON m.couple_id = c.id
    WHERE c.id = :couple_id
    ORDER BY m.slot
    """,
    {"couple_id": _UUID},
    {"created_at": _TIME, "user_id": _UUID},
)

# One row per rollup row of the weeks read (or one empty row), each carrying the
# couple's settings, the totals of all earlier weeks and the last bid before `until`:
# a single statement, so all of it comes from one snapshot.
_WEEKS = Statement(
    f"""
    SELECT c.timezone, c.week_starts, {", ".join(f"c.{name}" for name in _WEIGHTS)},
           earlier.toward AS toward_before, earlier.away AS away_before,
           earlier.against AS against_before, latest.last_bid_at,
           w.week_start, w.responder_id, {", ".join(f"w.{name}" for name in _COUNTS)}
    FROM couples AS c
    CROSS JOIN (
        SELECT coalesce(sum(toward), 0) AS toward, coalesce(sum(away), 0) AS away,
               coalesce(sum(against), 0) AS against
        FROM bid_weeks WHERE couple_id = :couple_id AND week_start < :first_week
    ) AS earlier
    CROSS JOIN (
        SELECT max(occurred_at) AS last_bid_at FROM bids
        WHERE couple_id = :couple_id AND deleted_at IS NULL AND occurred_at < :until
    ) AS latest
    LEFT JOIN bid_weeks AS w
      ON w.couple_id = c.id AND w.week_start >= :first_week AND w.week_start <= :last_week
    WHERE c.id = :couple_id
    """,
    {"couple_id": _UUID, "first_week": _DATE, "last_week": _DATE, "until": _TIME},
    {"last_bid_at": _TIME, "week_start": _DATE, "responder_id": _UUID},
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
            f"coalesce(sum(CASE WHEN coalesce(bidder_response, responder_response) = "
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
class Context:
    timezone: str
    week_starts: str
    created_at: datetime
    partners: list[uuid.UUID]


async def _context(database: Database, couple_id: uuid.UUID, caller_id: uuid.UUID) -> Context:
    """The couple as its partner `caller_id` may read it; anyone else gets a 404."""
    rows = await database.fetch(_CONTEXT, couple_id=couple_id)
    partners = [row["user_id"] for row in rows]
    if caller_id not in partners:
        raise not_found("couple")
    return Context(rows[0]["timezone"], rows[0]["week_starts"], rows[0]["created_at"], partners)


def _weights(row: Record) -> Weights:
    return Weights(
        toward=row["weight_toward"], away=row["weight_away"], against=row["weight_against"]
    )


def _counts(row: Record) -> Counts:
    return Counts(row["week_start"], row["responder_id"], *(row[name] for name in _COUNTS))


async def weekly_trends(
    database: Database,
    couple_id: uuid.UUID,
    caller_id: uuid.UUID,
    *,
    weeks: int,
    end: date | None,
) -> WeeklyTrends:
    context = await _context(database, couple_id, caller_id)
    timezone, week_starts = context.timezone, context.week_starts
    now = utcnow()
    # The calendar read first may have changed by the time the weeks are read (a new
    # time zone re-buckets them); the weeks' statement says which one it read.
    for _ in range(3):
        last_week = calendar.week_of(end or calendar.local_date(now, timezone), week_starts)
        window = calendar.window(last_week, weeks)
        read = calendar.window(last_week, max(weeks, figures.SUMMARY_WEEKS))
        until = min(now, calendar.day_start(last_week + calendar.WEEK, timezone))
        rows = await database.fetch(
            _WEEKS, couple_id=couple_id, first_week=read[0], last_week=last_week, until=until
        )
        if not rows:
            raise not_found("couple")
        settings = rows[0]
        if (settings["timezone"], settings["week_starts"]) == (timezone, week_starts):
            break
        timezone, week_starts = settings["timezone"], settings["week_starts"]
    weights = _weights(settings)
    counts = [_counts(row) for row in rows if row["week_start"] is not None]
    earlier = Tally(
        toward=settings["toward_before"],
        away=settings["away_before"],
        against=settings["against_before"],
    )
    weekly = figures.week_figures(
        read,
        counts,
        context.partners,
        weights,
        balance_before=figures.amounts(earlier, weights).net,
    )
    by_week = {week: Tally() for week in read}
    for row in counts:
        by_week[row.week_start] = by_week[row.week_start] + row
    recent_start = read[-figures.RECENT_WEEKS]
    summary = figures.summary(
        [by_week[week] for week in window],
        [(week, by_week[week]) for week in read[-figures.SUMMARY_WEEKS :]],
        [row for row in counts if row.week_start >= recent_start],
        context.partners,
        last_bid_at=settings["last_bid_at"],
        couple_since=context.created_at,
        until=until,
    )
    return WeeklyTrends(
        couple_id=couple_id,
        timezone=timezone,
        week_starts=week_starts,
        weights=weights,
        benchmarks=figures.BENCHMARKS,
        weeks=weekly[-weeks:],
        summary=summary,
    )


async def bank_account(
    database: Database, couple_id: uuid.UUID, caller_id: uuid.UUID
) -> BankAccount:
    await _context(database, couple_id, caller_id)
    now = utcnow()
    rows = await database.fetch(_BANK, couple_id=couple_id, since=now - timedelta(hours=168))
    if not rows:
        raise not_found("couple")
    row = rows[0]
    weights = _weights(row)
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
