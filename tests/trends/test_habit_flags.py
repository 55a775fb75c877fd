"""The flags of docs/metrics.md on check-ins and shared time, on plain values: each
fires at its threshold, not below it, and not on too few check-ins."""

from datetime import date, timedelta

from models import figures
from models.figures import CheckinTally, Tally
from models.vocabulary import SIGNS

MONDAY = date(2026, 9, 7)
STEADY_BIDS = [(MONDAY + timedelta(weeks=n), Tally()) for n in range(figures.SUMMARY_WEEKS)]


def checkins(ratings: list[int], stress: int = 3, signs: int = 0) -> CheckinTally:
    """Check-ins with these connection ratings, each with `stress`; `signs` noticed in
    all, spread over the first sign codes."""
    noticed = [0] * len(SIGNS)
    for position in range(signs):
        noticed[position % len(SIGNS)] += 1
    return CheckinTally(
        checkins=len(ratings),
        connection=sum(ratings),
        connection_squares=sum(rating * rating for rating in ratings),
        stress=stress * len(ratings),
        signs=tuple(noticed),
    )


def codes(
    weekly: list[CheckinTally],
    bids: list[tuple[date, Tally]] = STEADY_BIDS,
    last_activity_on: date | None = None,
) -> list[str]:
    padded = [CheckinTally()] * (figures.SUMMARY_WEEKS - len(weekly)) + weekly
    found = figures.summary(
        [week for _, week in bids], bids, [], [], padded, last_activity_on=last_activity_on
    )
    return [flag.code.value for flag in found.flags]


def test_distancing_rising_on_a_clear_rise_of_half_a_sign_per_checkin() -> None:
    # Three weeks of 4 check-ins: 12 in each period. 0.5 signs per check-in before
    # (6 signs), 1.5 after (18): a rise of 1.0, z = 1.0 / sqrt(1.0 * (2/12)) = 2.45.
    before = [checkins([7] * 4, signs=2)] * 3
    after = [checkins([7] * 4, signs=6)] * 3
    assert "distancing-rising" in codes(before + after)


def test_no_distancing_rising_on_a_small_or_unclear_rise() -> None:
    # A rise of 5/12 of a sign per check-in: under the 0.5 needed.
    assert "distancing-rising" not in codes(
        [checkins([7] * 4, signs=2)] * 3
        + [checkins([7] * 4, signs=2)] * 2
        + [checkins([7] * 4, signs=7)]
    )
    # A rise of 1.0 from 4 to 5 signs per check-in is large but within chance:
    # z = 1.0 / sqrt(4.5 * 2/12) = 1.15.
    assert "distancing-rising" not in codes(
        [checkins([7] * 4, signs=16)] * 3 + [checkins([7] * 4, signs=20)] * 3
    )
    # Falling is not rising.
    assert "distancing-rising" not in codes(
        [checkins([7] * 4, signs=6)] * 3 + [checkins([7] * 4, signs=2)] * 3
    )


def test_no_distancing_rising_on_too_few_checkins() -> None:
    # Five check-ins in the earlier period: one short of the six needed.
    before = [checkins([7] * 2, signs=0), checkins([7] * 2, signs=0), checkins([7], signs=0)]
    after = [checkins([7] * 4, signs=12)] * 3
    assert "distancing-rising" not in codes(before + after)
    assert "distancing-rising" in codes(
        [checkins([7] * 2, signs=0)] * 3 + [checkins([7] * 4, signs=12)] * 3
    )


def test_connection_falling_on_a_clear_drop_of_a_point() -> None:
    before = [checkins([8, 8, 7, 9])] * 3  # mean 8
    after = [checkins([7, 7, 6, 8])] * 3  # mean 7: a drop of 1.0
    # Welch's t = 1 / sqrt(2 * (6/11) / 12) = 3.3
    assert "connection-falling" in codes(before + after)
    # Every rating alike: no spread, and a drop of a whole point is clear.
    assert "connection-falling" in codes([checkins([8] * 4)] * 3 + [checkins([7] * 4)] * 3)


def test_no_connection_falling_on_a_small_or_noisy_drop() -> None:
    # Under a point.
    assert "connection-falling" not in codes([checkins([8] * 4)] * 3 + [checkins([8, 7, 7, 7])] * 3)
    # A point, but the ratings spread widely: t = 1 / sqrt(2 * (48/11) / 12) = 1.2.
    assert "connection-falling" not in codes(
        [checkins([4, 12 - 4, 4, 12 - 4])] * 3 + [checkins([3, 11 - 4, 3, 11 - 4])] * 3
    )
    # Too few check-ins before.
    assert "connection-falling" not in codes(
        [checkins([9]), checkins([9]), checkins([9, 9, 9])] + [checkins([5] * 4)] * 3
    )


def _declining() -> list[tuple[date, Tally]]:
    # Eight weeks of 10 answered bids, turning toward from 9 of 10 down to 2 of 10.
    return [
        (MONDAY + timedelta(weeks=n), Tally(bids=10, toward=9 - n, away=1 + n))
        for n in range(figures.SUMMARY_WEEKS)
    ]


def test_stress_and_turning_away_needs_both() -> None:
    stressed = [checkins([6, 6], stress=7)] * 4
    calm = [checkins([6, 6], stress=6)] * 4
    assert figures.direction(figures.fitted_change([week for _, week in _declining()])) == (
        "declining"
    )
    assert "stress-and-turning-away" in codes(stressed, _declining())
    assert "stress-and-turning-away" not in codes(calm, _declining())
    assert "stress-and-turning-away" not in codes(stressed)
    # Five check-ins in the last four weeks: one short.
    few = [
        CheckinTally(),
        checkins([6], stress=9),
        checkins([6, 6], stress=9),
        checkins([6, 6], stress=9),
    ]
    assert "stress-and-turning-away" not in codes(few, _declining())


def test_no_shared_time_after_four_weeks_without_an_activity() -> None:
    four_weeks_start = STEADY_BIDS[-figures.RECENT_WEEKS][0]
    assert "no-shared-time" in codes([], last_activity_on=four_weeks_start - timedelta(days=1))
    assert "no-shared-time" not in codes([], last_activity_on=four_weeks_start)
    # A couple that never logged one is not flagged: it may not use activities at all.
    assert "no-shared-time" not in codes([], last_activity_on=None)


def test_checkin_figures_of_a_week() -> None:
    week = checkins([8, 6], stress=4, signs=3)
    shown = figures.checkin_figures(week)
    assert (shown["count"], shown["connection_avg"], shown["stress_avg"]) == (2, 7.0, 4.0)
    # The signs noticed, and only those.
    assert shown["signs"] == {sign.value: 1 for sign in SIGNS[:3]}
    empty = figures.checkin_figures(CheckinTally())
    assert (empty["count"], empty["connection_avg"], empty["stress_avg"]) == (0, None, None)
