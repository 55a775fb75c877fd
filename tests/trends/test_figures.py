"""The summary rules of docs/metrics.md, on plain values: each fires at its threshold,
not below it, and not on too few bids."""

import uuid
from datetime import UTC, date, datetime, timedelta

from models import figures
from models.figures import RollupRow, Tally
from models.trend import Summary

ANA, BEN = uuid.uuid4(), uuid.uuid4()
PARTNERS = [ANA, BEN]
MONDAY = date(2026, 11, 2)


def weeks(*tallies: Tally) -> list[tuple[date, Tally]]:
    return [(MONDAY + timedelta(weeks=n), t) for n, t in enumerate(tallies)]


def answered(toward: int, away: int = 0, against: int = 0) -> Tally:
    return Tally(bids=toward + away + against, toward=toward, away=away, against=against)


def received_by(responder: uuid.UUID, toward: int, away: int, bids: int | None = None) -> RollupRow:
    return RollupRow(
        week_start=MONDAY,
        responder_id=responder,
        bids=toward + away if bids is None else bids,
        toward=toward,
        away=away,
    )


def test_pursuer_distancer_at_two_thirds_and_under_half() -> None:
    # Ana made 20 of 30 bids (2/3); Ben turned toward 9 of them (45%).
    found = figures.pursuer_distancer(
        [received_by(BEN, toward=9, away=11), received_by(ANA, toward=9, away=1)], PARTNERS
    )
    assert found is not None
    assert (found.pursuer_id, found.distancer_id) == (ANA, BEN)
    assert found.bid_share == 20 / 30
    assert found.distancer_turn_toward_rate == 9 / 20
    assert found.bids == 30


def test_pursuer_distancer_either_way_round() -> None:
    found = figures.pursuer_distancer(
        [received_by(ANA, toward=2, away=18), received_by(BEN, toward=5, away=0)], PARTNERS
    )
    assert found is not None
    assert (found.pursuer_id, found.distancer_id) == (BEN, ANA)


def test_no_pursuer_distancer_below_the_thresholds() -> None:
    # Just under two thirds of the bids.
    assert (
        figures.pursuer_distancer(
            [received_by(BEN, toward=5, away=14), received_by(ANA, toward=10, away=1)], PARTNERS
        )
        is None
    )
    # Two thirds, but the other turns toward exactly half.
    assert (
        figures.pursuer_distancer(
            [received_by(BEN, toward=10, away=10), received_by(ANA, toward=10, away=0)], PARTNERS
        )
        is None
    )
    # The pattern, on too few bids.
    assert (
        figures.pursuer_distancer(
            [received_by(BEN, toward=2, away=12), received_by(ANA, toward=4, away=1)], PARTNERS
        )
        is None
    )
    # Enough bids, but too few of them answered to judge the distancer.
    assert (
        figures.pursuer_distancer(
            [received_by(BEN, toward=2, away=7, bids=25), received_by(ANA, toward=4, away=1)],
            PARTNERS,
        )
        is None
    )


def summary(recent: list[tuple[date, Tally]]) -> Summary:
    return figures.summary([week for _, week in recent], recent, [], PARTNERS)


def codes(result: Summary) -> list[str]:
    return [flag.code for flag in result.flags]


def test_turn_toward_low_needs_three_weeks_running() -> None:
    steady = [answered(8, 2)] * 5
    low = answered(4, 6)
    assert codes(summary(weeks(*steady, low, low, low))) == ["turn-toward-low"]
    assert codes(summary(weeks(*steady, low, answered(5, 5), low))) == []  # 50% is not under
    assert codes(summary(weeks(*steady, low, low, answered(1, 3)))) == []  # 4 answered: too few
    detail = summary(weeks(*steady, low, low, low)).flags[0].detail
    assert "40%, 40%, 40%" in detail


def test_against_rising_needs_a_clear_rise_on_enough_bids() -> None:
    calm = [answered(9, 1, 0)] * 4
    hostile = [answered(6, 1, 3)] * 4
    assert codes(summary(weeks(*calm, *hostile))) == ["against-rising"]
    # The same shares on a fifth of the bids: too few answered, and not clear.
    assert codes(summary(weeks(*[answered(2, 0, 0)] * 4, *[answered(1, 0, 1)] * 4))) == []
    # A small rise, within chance.
    assert codes(summary(weeks(*[answered(9, 0, 1)] * 4, *[answered(8, 0, 2)] * 4))) == []


def test_quiet_for_fourteen_days() -> None:
    until = datetime(2026, 12, 21, tzinfo=UTC)
    since = datetime(2026, 1, 1, tzinfo=UTC)
    flag = figures.quiet(until - timedelta(days=14), since, until)
    assert flag is not None and flag.code == "not-logging"
    assert flag.detail == (
        "No bid logged in the 14 days up to 2026-12-21 (the last on 2026-12-07; UTC dates)."
    )
    assert figures.quiet(until - timedelta(days=13, hours=23), since, until) is None
    # A bid logged a few minutes ahead of now is logging, not silence.
    assert figures.quiet(until + timedelta(minutes=3), since, until) is None
    assert figures.quiet(None, since, until) is not None
    # A couple that began a week ago is not quiet yet, even with nothing logged.
    assert figures.quiet(None, until - timedelta(days=7), until) is None


def test_direction_from_a_clear_and_large_change() -> None:
    rising = [answered(3 + n, 9 - n) for n in range(6)]  # 25% to 67%
    falling = rising[::-1]
    assert summary(weeks(*rising)).direction == "improving"
    assert summary(weeks(*falling)).direction == "declining"
    flat = [answered(8, 2)] * 6
    assert summary(weeks(*flat)).direction == "steady"
    # The same rise on a handful of bids is not enough to tell.
    few = [answered(1, 2), answered(1, 1), answered(2, 1), answered(2, 0)]
    assert summary(weeks(*few)).direction == "steady"


def test_the_four_week_rate_is_over_the_last_four_weeks() -> None:
    result = summary(weeks(answered(0, 10), answered(1, 1), answered(1, 0), answered(1, 0)))
    assert result.turn_toward_rate_4w == 3 / 14
    result = summary(
        weeks(answered(0, 10), answered(1, 1), answered(1, 0), answered(1, 0), answered(1, 0))
    )
    assert result.turn_toward_rate_4w == 4 / 5
