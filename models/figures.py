"""The trend maths, on plain values: weekly figures from rollup counts, and the summary
rules. Every rule and threshold here is written out in docs/metrics.md."""

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Self

from models.couple import Weights
from models.trend import (
    ActivityFigures,
    Benchmarks,
    CheckinFigures,
    Direction,
    Figures,
    Flag,
    FlagCode,
    PartnerWeek,
    PursuerDistancer,
    Summary,
    WeekFigures,
)
from models.vocabulary import SIGNS, ActivityKind

BENCHMARKS = Benchmarks(
    masters_turn_toward=0.86, disasters_turn_toward=0.33, conflict_ratio=5, everyday_ratio=20
)

# The window a trends read gets when it does not say: the caseload's too.
DEFAULT_WEEKS = 12
# Weeks the summary looks back on, whatever the window's length.
RECENT_WEEKS = 4
LOW_RUN_WEEKS = 3
# How much history the summary needs before the window's last week.
SUMMARY_WEEKS = 2 * RECENT_WEEKS

# Direction: the fitted change across the window must be large and clear.
DIRECTION_MIN_CHANGE = 0.10
DIRECTION_MIN_T = 2.0
DIRECTION_MIN_WEEKS = 4
DIRECTION_MIN_ANSWERED = 20

# Pursuer-distancer, over the last RECENT_WEEKS weeks.
PURSUER_MIN_SHARE = 2 / 3
DISTANCER_MAX_RATE = 0.5
PURSUIT_MIN_BIDS = 20
DISTANCER_MIN_ANSWERED = 10

LOW_RATE = 0.5
LOW_MIN_ANSWERED = 5

AGAINST_MIN_RISE = 0.05
AGAINST_MIN_Z = 2.0
AGAINST_MIN_ANSWERED = 20

QUIET_DAYS = 14

# Check-ins: the last HABIT_WEEKS weeks against the HABIT_WEEKS before them.
HABIT_WEEKS = 3
CHECKINS_MIN = 6
DISTANCING_MIN_RISE = 0.5
DISTANCING_MIN_Z = 2.0
CONNECTION_MIN_DROP = 1.0
CONNECTION_MIN_T = 2.0
# Outside stress over the last RECENT_WEEKS weeks, with turning toward declining over
# the last SUMMARY_WEEKS.
STRESS_HIGH = 7.0


@dataclass(slots=True)
class Tally:
    """Counts summed over any set of rollup rows."""

    bids: int = 0
    toward: int = 0
    away: int = 0
    against: int = 0
    both_views: int = 0
    agreements: int = 0
    repairs: int = 0

    @property
    def answered(self) -> int:
        return self.toward + self.away + self.against

    @property
    def turn_toward_rate(self) -> float | None:
        return self.toward / self.answered if self.answered else None

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(
            bids=self.bids + other.bids,
            toward=self.toward + other.toward,
            away=self.away + other.away,
            against=self.against + other.against,
            both_views=self.both_views + other.both_views,
            agreements=self.agreements + other.agreements,
            repairs=self.repairs + other.repairs,
        )


def tally(rows: Iterable[Tally]) -> Tally:
    # Summed field by field: a Tally per row added costs a caseload more than its reads.
    bids = toward = away = against = both_views = agreements = repairs = 0
    for row in rows:
        bids += row.bids
        toward += row.toward
        away += row.away
        against += row.against
        both_views += row.both_views
        agreements += row.agreements
        repairs += row.repairs
    return Tally(bids, toward, away, against, both_views, agreements, repairs)


@dataclass(slots=True, kw_only=True)
class RollupRow(Tally):
    """One rollup row: a week's live bids with one responder."""

    week_start: date
    responder_id: uuid.UUID

    @classmethod
    def of(cls, week_start: date, responder_id: uuid.UUID, counts: Sequence[int]) -> "RollupRow":
        """A `bid_weeks` row: its week, responder and COUNTS."""
        return cls(*counts, week_start=week_start, responder_id=responder_id)


# The count columns of `bid_weeks`, in the order of the table and of `Tally`.
COUNTS = ("bids", "toward", "away", "against", "both_views", "agreements", "repairs")

KINDS: tuple[ActivityKind, ...] = tuple(ActivityKind)
_NO_SIGNS = (0,) * len(SIGNS)
_NO_KINDS = (0,) * len(KINDS)


class _Counts:
    """A tally that is one row of counts: read from a row (`of`), and summed by column.
    The first count is how many things were counted: a tally of none is all zeros."""

    __slots__ = ()

    @classmethod
    def of(cls, counts: Sequence[int]) -> Self:
        raise NotImplementedError

    def counts(self) -> tuple[int, ...]:
        raise NotImplementedError

    @classmethod
    def total(cls, tallies: Iterable[Self]) -> Self:
        rows = [counts for tally in tallies if (counts := tally.counts())[0]]
        return cls.of([sum(column) for column in zip(*rows, strict=True)]) if rows else cls()


@dataclass(slots=True)
class CheckinTally(_Counts):
    """Check-ins summed over any set of `checkin_weeks` rows: sums, so that means and
    spreads come out of them."""

    checkins: int = 0
    connection: int = 0
    connection_squares: int = 0
    stress: int = 0
    # Check-ins that noticed each sign, in the order of `SIGNS`.
    signs: tuple[int, ...] = _NO_SIGNS

    @property
    def noticed(self) -> int:
        return sum(self.signs)

    @classmethod
    def of(cls, counts: Sequence[int]) -> "CheckinTally":
        """The counts of `checkin_weeks` rows, in the order of CHECKIN_COUNTS."""
        checkins, connection, squares, stress, *signs = counts
        return cls(checkins, connection, squares, stress, tuple(signs))

    def counts(self) -> tuple[int, ...]:
        return (self.checkins, self.connection, self.connection_squares, self.stress, *self.signs)


@dataclass(slots=True)
class ActivityTally(_Counts):
    activities: int = 0
    minutes: int = 0
    # Activities of each kind, in the order of `KINDS`.
    kinds: tuple[int, ...] = _NO_KINDS

    @classmethod
    def of(cls, counts: Sequence[int]) -> "ActivityTally":
        """Activities, minutes, and the activities of each kind in the order of KINDS."""
        activities, minutes, *kinds = counts
        return cls(activities, minutes, tuple(kinds))

    def counts(self) -> tuple[int, ...]:
        return (self.activities, self.minutes, *self.kinds)


_NO_HABITS = (CheckinTally(), ActivityTally())
# Each week's check-ins and activities.
HabitWeeks = dict[date, tuple[CheckinTally, ActivityTally]]


@dataclass(frozen=True, slots=True)
class Habits:
    """A couple's check-ins and activities by week, for the weeks read (the check-ins a
    partner may count, for a partner's read); the local date of its latest activity
    before the window's end (None: it never logged one), and the local date it began."""

    checkins: Mapping[date, CheckinTally] = field(default_factory=dict)
    activities: Mapping[date, ActivityTally] = field(default_factory=dict)
    last_activity_on: date | None = None
    began_on: date | None = None

    def weekly(self, weeks: Sequence[date]) -> HabitWeeks:
        """Each of `weeks`, its check-ins and activities."""
        return {
            week: (
                self.checkins.get(week, _NO_HABITS[0]),
                self.activities.get(week, _NO_HABITS[1]),
            )
            for week in weeks
        }


_SIGN_CODES = tuple(sign.value for sign in SIGNS)
_KIND_CODES = tuple(kind.value for kind in KINDS)


def checkin_figures(total: CheckinTally) -> CheckinFigures:
    count = total.checkins
    if not count:
        return CheckinFigures(count=0, connection_avg=None, stress_avg=None, signs={})
    return CheckinFigures(
        count=count,
        connection_avg=total.connection / count,
        stress_avg=total.stress / count,
        # Only the signs noticed: most weeks notice few, and a year of weeks is read at once.
        signs={
            code: noticed for code, noticed in zip(_SIGN_CODES, total.signs, strict=True) if noticed
        },
    )


def activity_figures(total: ActivityTally) -> ActivityFigures:
    return ActivityFigures(
        count=total.activities,
        minutes=total.minutes,
        kinds=dict(zip(_KIND_CODES, total.kinds, strict=True)),
    )


@dataclass(slots=True)
class Amounts:
    deposits: int
    withdrawals: int

    @property
    def net(self) -> int:
        return self.deposits - self.withdrawals


def amounts(counts: Tally, weights: Weights) -> Amounts:
    """Deposits and withdrawals are non-negative: a count times its weight's size."""
    return Amounts(
        deposits=counts.toward * weights.toward,
        withdrawals=counts.away * -weights.away + counts.against * -weights.against,
    )


def week_figures(
    weeks: Sequence[date],
    rows: Iterable[RollupRow],
    partners: Sequence[uuid.UUID],
    weights: Weights,
    balance_before: int,
    habits: HabitWeeks,
) -> list[WeekFigures]:
    """Every week of the window, oldest first, empty ones with zeros; `balance` carries
    on from `balance_before`, the net of every week before the window."""
    by_week: dict[date, dict[uuid.UUID, RollupRow]] = {}
    for row in rows:
        by_week.setdefault(row.week_start, {})[row.responder_id] = row
    figures = []
    balance = balance_before
    for week in weeks:
        checkins, activities = habits.get(week, _NO_HABITS)
        responders = by_week.get(week, {})
        total = tally(responders.values())
        counts = counted(total, weights)
        balance += counts["net"]
        figures.append(
            WeekFigures(
                week_start=week,
                **counts,
                balance=balance,
                by_partner={
                    partner: _partner_week(responders.get(partner, _NOTHING), total)
                    for partner in partners
                },
                checkins=checkin_figures(checkins),
                activities=activity_figures(activities),
            )
        )
    return figures


def counted(total: Tally, weights: Weights) -> Figures:
    money = amounts(total, weights)
    return Figures(
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


_NOTHING = Tally()


def _partner_week(received: Tally, week: Tally) -> PartnerWeek:
    """A partner's week: the bids they `received` of all the `week`'s bids."""
    return PartnerWeek(
        # Two partners: what one made, the other received.
        bids_made=week.bids - received.bids,
        bids_received=received.bids,
        turn_toward_rate=received.turn_toward_rate,
        toward=received.toward,
        away=received.away,
        against=received.against,
    )


def fitted_change(weekly: Sequence[Tally]) -> tuple[float, float] | None:
    """The change in turn-toward rate from the first to the last answered week given,
    from a least-squares line through the weekly rates weighted by answered bids, and
    its t statistic (the slope
    over its binomial standard error). None with too few weeks or answers."""
    # (week, answered, toward) of each answered week: `answered` is a sum, taken once.
    # The integer sums in one pass (exact, in any order); the float sums by `sum`, which
    # from Python 3.12 on compensates its rounding, as the production image's does.
    points = []
    answered = weighted_x = toward_total = 0
    for x, week in enumerate(weekly):
        if count := week.answered:
            points.append((x, count, week.toward))
            answered += count
            weighted_x += x * count
            toward_total += week.toward
    if len(points) < DIRECTION_MIN_WEEKS or answered < DIRECTION_MIN_ANSWERED:
        return None
    mean_x = weighted_x / answered
    rate = toward_total / answered
    spread = sum(count * (x - mean_x) ** 2 for x, count, _ in points)
    slope = sum(count * (x - mean_x) * (toward / count) for x, count, toward in points) / spread
    variance = rate * (1 - rate)
    if variance == 0:
        # Every answer the same: no change, or none the data can tell apart from it.
        return 0.0, 0.0
    t = slope / math.sqrt(variance / spread)
    # Across the weeks that were answered: the line says nothing beyond them.
    return slope * (points[-1][0] - points[0][0]), t


def direction(change: tuple[float, float] | None) -> Direction:
    if change is None:
        return "steady"
    amount, t = change
    if amount >= DIRECTION_MIN_CHANGE and t >= DIRECTION_MIN_T:
        return "improving"
    if amount <= -DIRECTION_MIN_CHANGE and t <= -DIRECTION_MIN_T:
        return "declining"
    return "steady"


def pursuer_distancer(
    recent: Iterable[RollupRow], partners: Sequence[uuid.UUID]
) -> PursuerDistancer | None:
    """One partner makes at least two thirds of the bids while the other turns toward
    fewer than half of them."""
    if len(partners) != 2:
        return None
    answered_by: dict[uuid.UUID, list[RollupRow]] = {partner: [] for partner in partners}
    for row in recent:
        if row.responder_id in answered_by:
            answered_by[row.responder_id].append(row)
    received = {partner: tally(rows) for partner, rows in answered_by.items()}
    total = sum(counts.bids for counts in received.values())
    if total < PURSUIT_MIN_BIDS:
        return None
    for pursuer, distancer in (partners, partners[::-1]):
        pursued = received[distancer]  # the pursuer's bids: the distancer answers them
        rate = pursued.turn_toward_rate
        share = pursued.bids / total
        if (
            share >= PURSUER_MIN_SHARE
            and pursued.answered >= DISTANCER_MIN_ANSWERED
            and rate is not None
            and rate < DISTANCER_MAX_RATE
        ):
            return PursuerDistancer(
                pursuer_id=pursuer,
                distancer_id=distancer,
                bid_share=share,
                distancer_turn_toward_rate=rate,
                bids=total,
            )
    return None


def _percent(value: float) -> str:
    return f"{round(value * 100)}%"


def _low_run(weekly: Sequence[tuple[date, Tally]]) -> Flag | None:
    run = weekly[-LOW_RUN_WEEKS:]
    if len(run) < LOW_RUN_WEEKS:
        return None
    rates = []
    for _, week in run:
        rate = week.turn_toward_rate
        if week.answered < LOW_MIN_ANSWERED or rate is None or rate >= LOW_RATE:
            return None
        rates.append(rate)
    return Flag(
        code=FlagCode.turn_toward_low,
        detail=f"Turned toward fewer than half of the answered bids in each of the last "
        f"{LOW_RUN_WEEKS} weeks ({', '.join(_percent(rate) for rate in rates)}).",
    )


def _against_rising(weekly: Sequence[tuple[date, Tally]]) -> Flag | None:
    if len(weekly) < 2 * RECENT_WEEKS:
        return None
    earlier = tally(week for _, week in weekly[-2 * RECENT_WEEKS : -RECENT_WEEKS])
    recent = tally(week for _, week in weekly[-RECENT_WEEKS:])
    if min(earlier.answered, recent.answered) < AGAINST_MIN_ANSWERED:
        return None
    before, now = earlier.against / earlier.answered, recent.against / recent.answered
    pooled = (earlier.against + recent.against) / (earlier.answered + recent.answered)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / earlier.answered + 1 / recent.answered))
    if spread == 0 or now - before < AGAINST_MIN_RISE or (now - before) / spread < AGAINST_MIN_Z:
        return None
    return Flag(
        code=FlagCode.against_rising,
        detail=f"Turning against rose from {_percent(before)} of answered bids in the "
        f"previous {RECENT_WEEKS} weeks to {_percent(now)} in the last {RECENT_WEEKS}.",
    )


def quiet(last_bid_at: datetime | None, couple_since: datetime, until: datetime) -> Flag | None:
    quiet = timedelta(days=QUIET_DAYS)
    if until - couple_since < quiet:
        return None  # too new a couple to be quiet
    if last_bid_at is None:
        return Flag(
            code=FlagCode.not_logging,
            detail=f"No bid logged before {until.date().isoformat()} (UTC).",
        )
    if until - last_bid_at < quiet:
        return None
    return Flag(
        code=FlagCode.not_logging,
        detail=f"No bid logged in the {(until - last_bid_at).days} days up to "
        f"{until.date().isoformat()} (the last on {last_bid_at.date().isoformat()}; UTC dates).",
    )


def quiet_until(last_bid_at: datetime | None, couple_since: datetime, now: datetime) -> datetime:
    """The first moment after `now` at which `quiet` may answer otherwise than it does
    at `now`: the flag comes, or its days or its (UTC) date move on."""
    quiet = timedelta(days=QUIET_DAYS)
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
    if now - couple_since < quiet:
        return couple_since + quiet
    if last_bid_at is None:
        return tomorrow
    if now - last_bid_at < quiet:
        return last_bid_at + quiet
    return min(tomorrow, last_bid_at + timedelta(days=(now - last_bid_at).days + 1))


def _one_decimal(value: float | Fraction) -> str:
    return f"{float(value):.1f}"


def _habit_periods(weekly: Sequence[CheckinTally]) -> tuple[CheckinTally, CheckinTally] | None:
    """The check-ins of the HABIT_WEEKS weeks before the last HABIT_WEEKS, and of those
    last weeks; None unless each period has CHECKINS_MIN of them."""
    if len(weekly) < 2 * HABIT_WEEKS:
        return None
    before = CheckinTally.total(weekly[-2 * HABIT_WEEKS : -HABIT_WEEKS])
    recent = CheckinTally.total(weekly[-HABIT_WEEKS:])
    if min(before.checkins, recent.checkins) < CHECKINS_MIN:
        return None
    return before, recent


def _distancing_rising(weekly: Sequence[CheckinTally]) -> Flag | None:
    periods = _habit_periods(weekly)
    if periods is None:
        return None
    before, recent = periods
    # Exact: a rise that sits on a threshold is judged as the rule words it.
    then = Fraction(before.noticed, before.checkins)
    now = Fraction(recent.noticed, recent.checkins)
    pooled = Fraction(before.noticed + recent.noticed, before.checkins + recent.checkins)
    rise = now - then
    if pooled == 0 or rise < DISTANCING_MIN_RISE:
        return None
    # Signs as counts at a pooled rate per check-in (Poisson): is the rise beyond chance?
    # rise / sqrt(variance) >= z, squared.
    variance = pooled * (Fraction(1, before.checkins) + Fraction(1, recent.checkins))
    if rise * rise < Fraction(DISTANCING_MIN_Z) ** 2 * variance:
        return None
    return Flag(
        code=FlagCode.distancing_rising,
        detail=f"Signs of distancing noticed per check-in rose from {_one_decimal(then)} in "
        f"the previous {HABIT_WEEKS} weeks to {_one_decimal(now)} in the last {HABIT_WEEKS}.",
    )


def _variance(total: CheckinTally) -> Fraction:
    """The sample variance of the connection ratings, from their sum and squares."""
    n = total.checkins
    return Fraction(n * total.connection_squares - total.connection**2, n * (n - 1))


def _connection_falling(weekly: Sequence[CheckinTally]) -> Flag | None:
    periods = _habit_periods(weekly)
    if periods is None:
        return None
    before, recent = periods
    then = Fraction(before.connection, before.checkins)
    now = Fraction(recent.connection, recent.checkins)
    drop = then - now
    if drop < CONNECTION_MIN_DROP:
        return None
    # Welch's t: the two periods' ratings may spread differently. drop / sqrt(error) >= t,
    # squared, and exact as above.
    error = _variance(before) / before.checkins + _variance(recent) / recent.checkins
    if error > 0 and drop * drop < Fraction(CONNECTION_MIN_T) ** 2 * error:
        return None
    return Flag(
        code=FlagCode.connection_falling,
        detail=f"Connection averaged {_one_decimal(now)} out of 10 in the last {HABIT_WEEKS} "
        f"weeks, down from {_one_decimal(then)} in the {HABIT_WEEKS} before.",
    )


# Each trends read after a bid computes the summary again, while the check-ins it
# draws on rarely changed: their flags (exact rational arithmetic) are kept, by counts,
# and shared by the answers (a `Flag` is frozen).
@lru_cache(maxsize=1024)
def _checkin_flags(counts: tuple[tuple[int, ...], ...]) -> tuple[Flag | None, Flag | None]:
    """`distancing-rising` and `connection-falling`, of the counts of the check-in
    tallies of the last 2 * HABIT_WEEKS weeks (fewer: too few weeks for either)."""
    weekly = [CheckinTally.of(week) for week in counts]
    return _distancing_rising(weekly), _connection_falling(weekly)


def _stress_and_turning_away(
    weekly: Sequence[CheckinTally], recent: Sequence[tuple[date, Tally]]
) -> Flag | None:
    last = CheckinTally.total(weekly[-RECENT_WEEKS:])
    if last.checkins < CHECKINS_MIN or last.stress / last.checkins < STRESS_HIGH:
        return None
    change = fitted_change([week for _, week in recent[-SUMMARY_WEEKS:]])
    if change is None or direction(change) != "declining":
        return None
    return Flag(
        code=FlagCode.stress_and_turning_away,
        detail=f"Outside stress averaged {_one_decimal(last.stress / last.checkins)} out of "
        f"10 in the last {RECENT_WEEKS} weeks, while turning toward fell by "
        f"{round(-change[0] * 100)} points over the last {SUMMARY_WEEKS}.",
    )


def _no_shared_time(
    last_activity_on: date | None, recent_start: date, began_on: date | None
) -> Flag | None:
    if last_activity_on is None or last_activity_on >= recent_start:
        return None
    if began_on is not None and began_on > recent_start:
        return None  # too new a couple to have gone four weeks without

    return Flag(
        code=FlagCode.no_shared_time,
        detail=f"No shared activity logged in the last {RECENT_WEEKS} weeks (the last on "
        f"{last_activity_on.isoformat()}).",
    )


def summary(
    requested: Sequence[Tally],
    recent: Sequence[tuple[date, Tally]],
    recent_rows: Sequence[RollupRow],
    partners: Sequence[uuid.UUID],
    recent_checkins: Sequence[CheckinTally] = (),
    last_activity_on: date | None = None,
    began_on: date | None = None,
) -> Summary:
    """`requested`: the weekly tallies of the window asked for (the direction);
    `recent`: the last SUMMARY_WEEKS weeks up to the window's end (flags), and
    `recent_checkins` their check-ins;
    `recent_rows`: the rollup rows of the last RECENT_WEEKS weeks (pursuer-distancer);
    `last_activity_on`: the local date of the latest activity before the window's end;
    `began_on`: the local date the couple began.
    The `not-logging` flag depends on the time of the request: see `quiet`."""
    change = fitted_change(requested)
    pattern = pursuer_distancer(recent_rows, partners)
    flags = [
        flag
        for flag in (
            _low_run(recent),
            _against_rising(recent),
        )
        if flag is not None
    ]
    if pattern is not None:
        flags.append(
            Flag(
                code=FlagCode.pursuer_distancer,
                detail=f"One partner made {_percent(pattern.bid_share)} of the last "
                f"{RECENT_WEEKS} weeks' bids; the other turned toward "
                f"{_percent(pattern.distancer_turn_toward_rate)} of them.",
            )
        )
    recent_start = recent[-RECENT_WEEKS][0] if len(recent) >= RECENT_WEEKS else None
    flags.extend(
        flag
        for flag in (
            *_checkin_flags(tuple(week.counts() for week in recent_checkins[-2 * HABIT_WEEKS :])),
            _stress_and_turning_away(recent_checkins, recent),
            None
            if recent_start is None
            else _no_shared_time(last_activity_on, recent_start, began_on),
        )
        if flag is not None
    )
    return Summary(
        turn_toward_rate_4w=tally(week for _, week in recent[-RECENT_WEEKS:]).turn_toward_rate,
        direction=direction(change),
        turn_toward_change=None if change is None else change[0],
        pursuer_distancer=pattern,
        flags=flags,
    )
