"""The four summary flags of check-ins and shared time, judged from the recount of the
raw rows (tests/trends/reference.py) as the rules state them (docs/metrics.md), written
without models/figures. The statistics are compared with their thresholds in exact
arithmetic: `z >= 2` as `rise >= 0 and rise^2 >= 4 * variance`, and so on, so a
figure that sits on a threshold is judged as the rule words it, not as rounding
happens to leave it."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from tests.trends.reference import (
    Calendar,
    Raw,
    RawCheckin,
    checkin_week,
    local_week,
    visible_checkins,
    window_starts,
)

NEW_FLAGS = (
    "distancing-rising",
    "connection-falling",
    "stress-and-turning-away",
    "no-shared-time",
)
MIN_CHECKINS = 6


@dataclass(frozen=True)
class Pooled:
    """The check-ins of some weeks, pooled."""

    n: int
    signs: int  # every sign noticed, summed over the check-ins
    connection: int
    connection_squares: int
    stress: int

    @classmethod
    def of(cls, checkins: Sequence[RawCheckin]) -> "Pooled":
        return cls(
            n=len(checkins),
            signs=sum(len(checkin.noticed) for checkin in checkins),
            connection=sum(checkin.connection for checkin in checkins),
            connection_squares=sum(checkin.connection**2 for checkin in checkins),
            stress=sum(checkin.stress for checkin in checkins),
        )

    def sample_variance(self) -> Fraction:
        """Of the connection ratings, with n - 1."""
        return (self.connection_squares - Fraction(self.connection**2, self.n)) / (self.n - 1)


def distancing_rising(before: Pooled, recent: Pooled) -> bool:
    if min(before.n, recent.n) < MIN_CHECKINS:
        return False
    pooled = Fraction(before.signs + recent.signs, before.n + recent.n)
    if pooled == 0:
        return False
    rise = Fraction(recent.signs, recent.n) - Fraction(before.signs, before.n)
    variance = pooled * (Fraction(1, recent.n) + Fraction(1, before.n))
    return rise >= Fraction(1, 2) and rise * rise >= 4 * variance


def connection_falling(before: Pooled, recent: Pooled) -> bool:
    if min(before.n, recent.n) < MIN_CHECKINS:
        return False
    drop = Fraction(before.connection, before.n) - Fraction(recent.connection, recent.n)
    if drop < 1:
        return False
    error = before.sample_variance() / before.n + recent.sample_variance() / recent.n
    # Both periods without any spread: the drop alone decides.
    return error == 0 or drop * drop >= 4 * error


def turn_toward_declining(weeks: Sequence[tuple[int, int]]) -> bool:
    """The `direction` rule on weekly (answered, turned toward) counts: a line through
    the weekly rates weighted by answered bids, weeks without answers left out."""
    points = [(x, answered, toward) for x, (answered, toward) in enumerate(weeks) if answered]
    total = sum(answered for _, answered, _ in points)
    if len(points) < 4 or total < 20:
        return False
    mean_x = Fraction(sum(x * answered for x, answered, _ in points), total)
    rate = Fraction(sum(toward for _, _, toward in points), total)
    spread = sum((answered * (x - mean_x) ** 2 for x, answered, _ in points), Fraction(0))
    slope = sum(((x - mean_x) * toward for x, _, toward in points), Fraction(0)) / spread
    change = slope * (points[-1][0] - points[0][0])
    variance = rate * (1 - rate)
    # t = slope / sqrt(variance / spread) <= -2
    clear = slope < 0 and slope * slope * spread >= 4 * variance
    return change <= Fraction(-1, 10) and clear


def window_end(last_week: date, calendar: Calendar) -> datetime:
    """The first instant of the week after `last_week`, in the couple's zone."""
    following = last_week + timedelta(weeks=1)
    return datetime.combine(following, time(), tzinfo=ZoneInfo(calendar.timezone))


def expected_flags(raw: Raw, calendar: Calendar, end: date, viewer: str | None) -> list[str]:
    """The new flags the summary of a window ending with the week holding `end` must
    carry for `viewer` (who counts the check-ins they may see), in the order of
    NEW_FLAGS."""
    weeks = window_starts(end, 8, calendar.week_starts)
    checkins = visible_checkins(raw.checkins, viewer)

    def pooled(starts: Sequence[date]) -> Pooled:
        return Pooled.of([c for c in checkins if checkin_week(c, calendar) in starts])

    before, recent = pooled(weeks[-6:-3]), pooled(weeks[-3:])
    flags = []
    if distancing_rising(before, recent):
        flags.append("distancing-rising")
    if connection_falling(before, recent):
        flags.append("connection-falling")

    stressed = pooled(weeks[-4:])
    live_bids = [bid for bid in raw.bids if not bid.deleted]
    weekly = []
    for start in weeks:
        answered = [
            bid
            for bid in live_bids
            if bid.effective is not None and local_week(bid.occurred_at, calendar) == start
        ]
        weekly.append((len(answered), sum(1 for bid in answered if bid.effective == "toward")))
    if (
        stressed.n >= MIN_CHECKINS
        and Fraction(stressed.stress, stressed.n) >= 7
        and turn_toward_declining(weekly)
    ):
        flags.append("stress-and-turning-away")

    until = window_end(weeks[-1], calendar)
    logged = [a.occurred_at for a in raw.activities if not a.deleted and a.occurred_at < until]
    zone = ZoneInfo(calendar.timezone)
    # A couple that began after the first of the four weeks cannot have gone without.
    if logged and raw.began_at.astimezone(zone).date() <= weeks[-4]:
        latest_on = max(logged).astimezone(zone).date()
        if latest_on < weeks[-4]:
            flags.append("no-shared-time")
    return flags
