"""The brute-force reference the trend properties compare the API with: every weekly
figure and the bank account recounted from the couple's raw `bids`, `checkins` and
`activities` rows, written without api/trends or models/figures (only `zoneinfo`,
`datetime` and plain Python)."""

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models.activity import Activity, ActivityWeek
from models.bid import Bid
from models.checkin import CHECKIN_COUNTS, Checkin, CheckinWeek
from models.couple import Couple
from models.trend import BidWeek
from models.vocabulary import ActivityKind, DistancingSign

_BIDS: sa.Table = Bid.__table__  # type: ignore[attr-defined]
_CHECKINS: sa.Table = Checkin.__table__  # type: ignore[attr-defined]
_ACTIVITIES: sa.Table = Activity.__table__  # type: ignore[attr-defined]
_COUPLES: sa.Table = Couple.__table__  # type: ignore[attr-defined]
_BID_WEEKS: sa.Table = BidWeek.__table__  # type: ignore[attr-defined]
_CHECKIN_WEEKS: sa.Table = CheckinWeek.__table__  # type: ignore[attr-defined]
_ACTIVITY_WEEKS: sa.Table = ActivityWeek.__table__  # type: ignore[attr-defined]

# The stored order of the signs (a check-in keeps them as bits, the first the lowest).
SIGN_CODES = tuple(sign.value for sign in DistancingSign)
KIND_CODES = tuple(kind.value for kind in ActivityKind)

RESPONSES = ("toward", "away", "against")
WEEK_FIELDS = {
    "week_start",
    "bids",
    "toward",
    "away",
    "against",
    "pending",
    "turn_toward_rate",
    "deposits",
    "withdrawals",
    "net",
    "balance",
    "perception_agreement",
    "repairs",
    "by_partner",
    "checkins",
    "activities",
}


@dataclass(frozen=True)
class RawBid:
    """One row of `bids`, as stored."""

    id: str
    bidder_id: str
    responder_id: str
    occurred_at: datetime
    bidder_response: str | None
    responder_response: str | None
    repair: bool
    deleted: bool

    @property
    def effective(self) -> str | None:
        """The bidder's view when given, else the responder's, else pending (None)."""
        if self.bidder_response is not None:
            return self.bidder_response
        return self.responder_response


@dataclass(frozen=True)
class RawCheckin:
    """One row of `checkins`, as stored."""

    id: str
    partner_id: str
    local_date: date
    connection: int
    stress: int
    signs: int  # bits
    private: bool
    deleted: bool

    @property
    def noticed(self) -> list[str]:
        return [code for bit, code in enumerate(SIGN_CODES) if self.signs & (1 << bit)]


@dataclass(frozen=True)
class RawActivity:
    """One row of `activities`, as stored."""

    id: str
    logged_by: str
    kind: str
    occurred_at: datetime
    minutes: int | None
    deleted: bool


@dataclass(frozen=True)
class Raw:
    """Everything of a couple's that its weekly figures are counted from."""

    bids: list[RawBid]
    checkins: list[RawCheckin]
    activities: list[RawActivity]
    began_at: datetime  # the couple's `created_at`


def visible_checkins(checkins: Sequence[RawCheckin], viewer: str | None) -> list[RawCheckin]:
    """The live check-ins a reader counts: a partner (`viewer`) their own, and the
    other's for the dates they checked in too (the reveal rule); anyone else (None),
    a therapist, every one."""
    live = [checkin for checkin in checkins if not checkin.deleted]
    if viewer is None:
        return live
    own_dates = {checkin.local_date for checkin in live if checkin.partner_id == viewer}
    return [c for c in live if c.partner_id == viewer or c.local_date in own_dates]


@dataclass(frozen=True)
class Calendar:
    timezone: str
    week_starts: str  # "monday" or "sunday"


async def _of_couple(conn: AsyncConnection, table: sa.Table, couple_id: str) -> Sequence[Any]:
    """Every row of `table` that belongs to the couple, tombstones included."""
    query = sa.select(table).where(table.c.couple_id == uuid.UUID(couple_id))
    return (await conn.execute(query)).all()


async def raw_bids(conn: AsyncConnection, couple_id: str) -> list[RawBid]:
    rows = await _of_couple(conn, _BIDS, couple_id)
    result = []
    for row in rows:
        assert row.occurred_at.tzinfo is not None
        result.append(
            RawBid(
                id=str(row.id),
                bidder_id=str(row.bidder_id),
                responder_id=str(row.responder_id),
                occurred_at=row.occurred_at,
                bidder_response=row.bidder_response,
                responder_response=row.responder_response,
                repair=bool(row.repair),
                deleted=row.deleted_at is not None,
            )
        )
    return result


async def raw_checkins(conn: AsyncConnection, couple_id: str) -> list[RawCheckin]:
    rows = await _of_couple(conn, _CHECKINS, couple_id)
    return [
        RawCheckin(
            id=str(row.id),
            partner_id=str(row.partner_id),
            local_date=row.local_date,
            connection=row.connection,
            stress=row.stress,
            signs=row.signs,
            private=bool(row.private),
            deleted=row.deleted_at is not None,
        )
        for row in rows
    ]


async def raw_activities(conn: AsyncConnection, couple_id: str) -> list[RawActivity]:
    rows = await _of_couple(conn, _ACTIVITIES, couple_id)
    result = []
    for row in rows:
        assert row.occurred_at.tzinfo is not None
        result.append(
            RawActivity(
                id=str(row.id),
                logged_by=str(row.logged_by),
                kind=row.kind,
                occurred_at=row.occurred_at,
                minutes=row.duration_minutes,
                deleted=row.deleted_at is not None,
            )
        )
    return result


async def raw_rows(conn: AsyncConnection, couple_id: str) -> Raw:
    began_at = await conn.scalar(
        sa.select(_COUPLES.c.created_at).where(_COUPLES.c.id == uuid.UUID(couple_id))
    )
    assert began_at is not None and began_at.tzinfo is not None
    return Raw(
        await raw_bids(conn, couple_id),
        await raw_checkins(conn, couple_id),
        await raw_activities(conn, couple_id),
        began_at,
    )


def first_day_of_week(day: date, week_starts: str) -> date:
    # date.weekday(): Monday 0 ... Sunday 6.
    first = {"monday": 0, "sunday": 6}[week_starts]
    return day - timedelta(days=(day.weekday() - first) % 7)


def local_week(moment: datetime, calendar: Calendar) -> date:
    local_day = moment.astimezone(ZoneInfo(calendar.timezone)).date()
    return first_day_of_week(local_day, calendar.week_starts)


def near_week_boundary(moment: datetime, calendar: Calendar) -> bool:
    hours = timedelta(hours=3)
    return local_week(moment - hours, calendar) != local_week(moment + hours, calendar)


def ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else float(Fraction(part, whole))


def checkin_week(checkin: RawCheckin, calendar: Calendar) -> date:
    """A check-in's week is that of its local date: the time zone plays no part."""
    return first_day_of_week(checkin.local_date, calendar.week_starts)


def reference_checkins(checkins: Sequence[RawCheckin]) -> dict[str, Any]:
    """Both partners' live check-ins of one week."""
    return {
        "count": len(checkins),
        "connection_avg": ratio(sum(c.connection for c in checkins), len(checkins)),
        "stress_avg": ratio(sum(c.stress for c in checkins), len(checkins)),
        "signs": {
            code: noticed
            for code in SIGN_CODES
            if (noticed := sum(1 for c in checkins if code in c.noticed))
        },
    }


def reference_activities(activities: Sequence[RawActivity]) -> dict[str, Any]:
    """The live activities of one week."""
    return {
        "count": len(activities),
        "minutes": sum(activity.minutes or 0 for activity in activities),
        "kinds": {kind: sum(1 for a in activities if a.kind == kind) for kind in KIND_CODES},
    }


def signed_value(bid: RawBid, weights: dict[str, int]) -> int:
    """What one bid adds to the balance: its response's signed weight."""
    return 0 if bid.effective is None else weights[bid.effective]


def money(bids: Sequence[RawBid], weights: dict[str, int]) -> tuple[int, int]:
    """Deposits and withdrawals: each answered bid adds the size of its weight."""
    deposits = sum(abs(weights["toward"]) for bid in bids if bid.effective == "toward")
    withdrawals = sum(
        abs(weights[bid.effective]) for bid in bids if bid.effective in ("away", "against")
    )
    return deposits, withdrawals


def count(bids: Iterable[RawBid], response: str | None) -> int:
    return sum(1 for bid in bids if bid.effective == response)


def partner_week(bids: Sequence[RawBid], partner: str) -> dict[str, Any]:
    received = [bid for bid in bids if bid.responder_id == partner]
    toward, away, against = (count(received, response) for response in RESPONSES)
    return {
        "bids_made": sum(1 for bid in bids if bid.bidder_id == partner),
        "bids_received": len(received),
        "turn_toward_rate": ratio(toward, toward + away + against),
        "toward": toward,
        "away": away,
        "against": against,
    }


def reference_week(
    start: date,
    bids: Sequence[RawBid],
    partners: Sequence[str],
    weights: dict[str, int],
    balance: int,
) -> dict[str, Any]:
    toward, away, against = (count(bids, response) for response in RESPONSES)
    deposits, withdrawals = money(bids, weights)
    both_views = [
        bid
        for bid in bids
        if bid.bidder_response is not None and bid.responder_response is not None
    ]
    agreeing = sum(1 for bid in both_views if bid.bidder_response == bid.responder_response)
    return {
        "week_start": start.isoformat(),
        "bids": len(bids),
        "toward": toward,
        "away": away,
        "against": against,
        "pending": count(bids, None),
        "turn_toward_rate": ratio(toward, toward + away + against),
        "deposits": deposits,
        "withdrawals": withdrawals,
        "net": sum(signed_value(bid, weights) for bid in bids),
        "balance": balance,
        "perception_agreement": ratio(agreeing, len(both_views)),
        "repairs": sum(1 for bid in bids if bid.repair),
        "by_partner": {partner: partner_week(bids, partner) for partner in partners},
    }


def window_starts(end: date, weeks: int, week_starts: str) -> list[date]:
    last = first_day_of_week(end, week_starts)
    return [last - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def reference_weeks(
    raw: Raw,
    calendar: Calendar,
    weights: dict[str, int],
    partners: Sequence[str],
    end: date,
    weeks: int,
    viewer: str | None,
) -> list[dict[str, Any]]:
    """The window's weeks as `viewer` reads them (see `visible_checkins`)."""
    live = [bid for bid in raw.bids if not bid.deleted]
    week_of = {bid.id: local_week(bid.occurred_at, calendar) for bid in live}
    checkins = visible_checkins(raw.checkins, viewer)
    activities = [activity for activity in raw.activities if not activity.deleted]
    result = []
    for start in window_starts(end, weeks, calendar.week_starts):
        in_week = [bid for bid in live if week_of[bid.id] == start]
        # Every live bid up to the end of this week, whether or not it is in the window.
        balance = sum(signed_value(bid, weights) for bid in live if week_of[bid.id] <= start)
        week = reference_week(start, in_week, partners, weights, balance)
        week["checkins"] = reference_checkins(
            [checkin for checkin in checkins if checkin_week(checkin, calendar) == start]
        )
        week["activities"] = reference_activities(
            [
                activity
                for activity in activities
                if local_week(activity.occurred_at, calendar) == start
            ]
        )
        result.append(week)
    return result


def reference_rate_4w(bids: Sequence[RawBid], calendar: Calendar, end: date) -> float | None:
    recent = set(window_starts(end, 4, calendar.week_starts))
    counted = [
        bid for bid in bids if not bid.deleted and local_week(bid.occurred_at, calendar) in recent
    ]
    toward, away, against = (count(counted, response) for response in RESPONSES)
    return ratio(toward, toward + away + against)


def reference_bank(
    bids: Sequence[RawBid], weights: dict[str, int], as_of: datetime
) -> dict[str, Any]:
    live = [bid for bid in bids if not bid.deleted]
    deposits, withdrawals = money(live, weights)
    recent = [bid for bid in live if bid.occurred_at >= as_of - timedelta(hours=168)]
    recent_deposits, recent_withdrawals = money(recent, weights)
    return {
        "balance": sum(signed_value(bid, weights) for bid in live),
        "deposits": deposits,
        "withdrawals": withdrawals,
        "weights": weights,
        "last_7_days": {
            "deposits": recent_deposits,
            "withdrawals": recent_withdrawals,
            "net": sum(signed_value(bid, weights) for bid in recent),
        },
    }


# A rollup's rows by key, (week start, *the rollup's own keys), each with its counts
# that are not 0; a row of nothing but zeros is left out.
Counts = dict[tuple[object, ...], Counter[str]]

BID_COUNTS = ("bids", "toward", "away", "against", "both_views", "agreements", "repairs")
# Each rollup table, its keys besides the couple and the week, and its counts.
ROLLUPS: dict[str, tuple[sa.Table, tuple[str, ...], tuple[str, ...]]] = {
    "bid_weeks": (_BID_WEEKS, ("responder_id",), BID_COUNTS),
    "checkin_weeks": (_CHECKIN_WEEKS, ("partner_id", "paired"), CHECKIN_COUNTS),
    "activity_weeks": (_ACTIVITY_WEEKS, ("kind",), ("activities", "minutes")),
}


async def stored_rollup(
    conn: AsyncConnection,
    table: sa.Table,
    couple_id: uuid.UUID,
    keys: Sequence[str],
    counts: Sequence[str],
) -> Counts:
    """A rollup's rows of the couple by (week, *`keys`), each row's counts that are not 0."""
    rows = (await conn.execute(sa.select(table).where(table.c.couple_id == couple_id))).mappings()
    stored = {
        (row["week_start"], *(row[key] for key in keys)): Counter(
            {name: row[name] for name in counts if row[name]}
        )
        for row in rows
    }
    return {key: counted for key, counted in stored.items() if counted}


async def stored_rollups(conn: AsyncConnection, couple_id: str) -> dict[str, Counts]:
    """The three weekly rollups of the couple as the triggers left them."""
    return {
        name: await stored_rollup(conn, table, uuid.UUID(couple_id), keys, counts)
        for name, (table, keys, counts) in ROLLUPS.items()
    }


def add_checkin(counts: Counter[str], connection: int, stress: int, signs: Iterable[str]) -> None:
    """What one live check-in adds to its row of `checkin_weeks`."""
    counts["checkins"] += 1
    counts["connection_sum"] += connection
    counts["connection_squares"] += connection**2
    counts["stress_sum"] += stress
    for code in signs:
        counts[f"sign_{code}"] += 1


def reference_rollups(raw: Raw, calendar: Calendar) -> dict[str, Counts]:
    """What the three weekly rollups hold for the couple's raw rows, recounted here."""
    bids: Counts = defaultdict(Counter)
    for bid in raw.bids:
        if bid.deleted:
            continue
        counts = bids[local_week(bid.occurred_at, calendar), uuid.UUID(bid.responder_id)]
        counts["bids"] += 1
        if bid.effective is not None:
            counts[bid.effective] += 1
        if bid.bidder_response is not None and bid.responder_response is not None:
            counts["both_views"] += 1
            counts["agreements"] += bid.bidder_response == bid.responder_response
        counts["repairs"] += bid.repair
    live = [checkin for checkin in raw.checkins if not checkin.deleted]
    checked_in = {(checkin.partner_id, checkin.local_date) for checkin in live}
    checkins: Counts = defaultdict(Counter)
    for checkin in live:
        # Paired: the other partner has a live check-in for the same date.
        paired = any(on == checkin.local_date and by != checkin.partner_id for by, on in checked_in)
        week = checkin_week(checkin, calendar)
        counts = checkins[week, uuid.UUID(checkin.partner_id), paired]
        add_checkin(counts, checkin.connection, checkin.stress, checkin.noticed)
    activities: Counts = defaultdict(Counter)
    for activity in raw.activities:
        if not activity.deleted:
            counts = activities[local_week(activity.occurred_at, calendar), activity.kind]
            counts["activities"] += 1
            counts["minutes"] += activity.minutes or 0
    return {
        name: {key: +counted for key, counted in counted_rows.items() if +counted}
        for name, counted_rows in (
            ("bid_weeks", bids),
            ("checkin_weeks", checkins),
            ("activity_weeks", activities),
        )
    }
