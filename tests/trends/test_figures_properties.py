"""Properties of the pure maths of models/figures.py: the weekly figures and their
running balance, the fitted change and the direction it gives, and the flags of
check-ins and shared time against the rules' reference (tests/trends/rules.py)."""

import math
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from models import figures
from models.couple import Weights
from tests.trends.examples import maths_settings
from tests.trends.reference import KIND_CODES, RESPONSES, SIGN_CODES, ratio
from tests.trends.rules import (
    NEW_FLAGS,
    Pooled,
    connection_falling,
    distancing_rising,
    turn_toward_declining,
)

MONDAY = date(2024, 1, 1)
PARTNERS = (uuid.UUID(int=1), uuid.UUID(int=2))


@st.composite
def count_rows(draw: st.DrawFn, weeks: int) -> list[figures.RollupRow]:
    """Rollup rows, one per week and responder at most, some outside the window."""
    keys = draw(
        st.sets(st.tuples(st.integers(-3, weeks + 2), st.sampled_from(PARTNERS)), max_size=20)
    )
    rows = []
    for week, responder in sorted(keys):
        bids = draw(st.integers(0, 40))
        toward = draw(st.integers(0, bids))
        away = draw(st.integers(0, bids - toward))
        against = draw(st.integers(0, bids - toward - away))
        both_views = draw(st.integers(0, bids))
        rows.append(
            figures.RollupRow(
                week_start=MONDAY + timedelta(weeks=week),
                responder_id=responder,
                bids=bids,
                toward=toward,
                away=away,
                against=against,
                both_views=both_views,
                agreements=draw(st.integers(0, both_views)),
                repairs=draw(st.integers(0, bids)),
            )
        )
    return rows


weights_strategy = st.builds(
    Weights,
    toward=st.integers(1, 20),
    away=st.integers(-20, -1),
    against=st.integers(-20, -1),
)


# A week's check-ins, each (connection, stress, the signs noticed), and activities,
# each (kind, minutes or None).
CheckinsOfWeek = list[tuple[int, int, frozenset[str]]]
ActivitiesOfWeek = list[tuple[str, int | None]]


@st.composite
def habit_weeks_of(
    draw: st.DrawFn, weeks: int
) -> dict[date, tuple[CheckinsOfWeek, ActivitiesOfWeek]]:
    """Some weeks' check-ins and activities, some outside the window."""
    found = {}
    for week in sorted(draw(st.sets(st.integers(-3, weeks + 2), max_size=8))):
        checkins = draw(
            st.lists(
                st.tuples(
                    st.integers(1, 10),
                    st.integers(1, 10),
                    st.frozensets(st.sampled_from(SIGN_CODES)),
                ),
                max_size=8,
            )
        )
        activities = draw(
            st.lists(
                st.tuples(st.sampled_from(KIND_CODES), st.none() | st.integers(1, 1440)), max_size=6
            )
        )
        found[MONDAY + timedelta(weeks=week)] = (checkins, activities)
    return found


def habit_tallies(
    weeks: dict[date, tuple[CheckinsOfWeek, ActivitiesOfWeek]],
) -> "figures.HabitWeeks":
    """The sums a read of the rollups gives for those weeks."""
    return {
        week: (
            figures.CheckinTally(
                checkins=len(checkins),
                connection=sum(connection for connection, _, _ in checkins),
                connection_squares=sum(connection**2 for connection, _, _ in checkins),
                stress=sum(stress for _, stress, _ in checkins),
                signs=tuple(
                    sum(1 for *_, noticed in checkins if code in noticed) for code in SIGN_CODES
                ),
            ),
            figures.ActivityTally(
                activities=len(activities),
                minutes=sum(minutes or 0 for _, minutes in activities),
                kinds=tuple(
                    sum(1 for kind, _ in activities if kind == code) for code in KIND_CODES
                ),
            ),
        )
        for week, (checkins, activities) in weeks.items()
    }


@maths_settings
@given(data=st.data(), weeks=st.integers(1, 12), balance_before=st.integers(-10_000, 10_000))
def test_week_figures_balance_runs_on_from_balance_before(
    data: st.DataObject, weeks: int, balance_before: int
) -> None:
    rows = data.draw(count_rows(weeks))
    weights = data.draw(weights_strategy)
    habits = data.draw(habit_weeks_of(weeks))
    window = [MONDAY + timedelta(weeks=week) for week in range(weeks)]

    result = figures.week_figures(
        window, rows, PARTNERS, weights, balance_before, habit_tallies(habits)
    )

    assert [week["week_start"] for week in result] == window
    running = balance_before
    for week in result:
        inside = [row for row in rows if row.week_start == week["week_start"]]
        toward, away, against = (sum(getattr(row, name) for row in inside) for name in RESPONSES)
        assert (week["bids"], week["toward"], week["away"], week["against"]) == (
            sum(row.bids for row in inside),
            toward,
            away,
            against,
        )
        assert week["pending"] == week["bids"] - toward - away - against >= 0
        assert week["deposits"] == toward * weights.toward >= 0
        assert week["withdrawals"] == away * abs(weights.away) + against * abs(weights.against)
        assert week["deposits"] - week["withdrawals"] == week["net"]
        running += week["net"]
        assert week["balance"] == running
        assert week["repairs"] == sum(row.repairs for row in inside)
        assert week["turn_toward_rate"] == ratio(toward, toward + away + against)
        assert week["perception_agreement"] == ratio(
            sum(row.agreements for row in inside), sum(row.both_views for row in inside)
        )
        first, second = (week["by_partner"][partner] for partner in PARTNERS)
        assert first["bids_made"] == second["bids_received"]
        assert second["bids_made"] == first["bids_received"]
        assert first["bids_received"] + second["bids_received"] == week["bids"]
        assert first["toward"] + second["toward"] == week["toward"]
        # The week's check-ins and activities: the signs noticed, and every kind.
        checkins, activities = habits.get(week["week_start"], ([], []))
        assert week["checkins"] == {
            "count": len(checkins),
            "connection_avg": ratio(sum(c for c, _, _ in checkins), len(checkins)),
            "stress_avg": ratio(sum(s for _, s, _ in checkins), len(checkins)),
            "signs": {
                code: noticed
                for code in SIGN_CODES
                if (noticed := sum(1 for *_, seen in checkins if code in seen))
            },
        }
        assert week["activities"] == {
            "count": len(activities),
            "minutes": sum(minutes or 0 for _, minutes in activities),
            "kinds": {
                code: sum(1 for kind, _ in activities if kind == code) for code in KIND_CODES
            },
        }
    assert result[-1]["balance"] == balance_before + sum(week["net"] for week in result)


@st.composite
def weekly_tallies(draw: st.DrawFn, max_weeks: int = 12) -> list[figures.Tally]:
    tallies = []
    for _ in range(draw(st.integers(0, max_weeks))):
        answered = draw(st.integers(0, 15))
        toward = draw(st.integers(0, answered))
        away = draw(st.integers(0, answered - toward))
        tallies.append(
            figures.Tally(
                bids=answered + draw(st.integers(0, 3)),
                toward=toward,
                away=away,
                against=answered - toward - away,
            )
        )
    return tallies


def exact_fit(weekly: Sequence[figures.Tally]) -> tuple[Fraction, Fraction]:
    """Least squares through every answered bid as a point (week, 1 if turned toward
    else 0), in exact arithmetic, which is the line through the weekly rates weighted
    by answered bids. Returns the slope and the spread sum((x - mean x)^2)."""
    points = [
        (Fraction(x), Fraction(1 if turned else 0))
        for x, week in enumerate(weekly)
        for turned in [True] * week.toward + [False] * (week.away + week.against)
    ]
    mean_x = sum((x for x, _ in points), Fraction(0)) / len(points)
    mean_y = sum((y for _, y in points), Fraction(0)) / len(points)
    spread = sum(((x - mean_x) ** 2 for x, _ in points), Fraction(0))
    slope = sum(((x - mean_x) * (y - mean_y) for x, y in points), Fraction(0)) / spread
    return slope, spread


@maths_settings
@given(weekly=weekly_tallies())
def test_fitted_change_needs_its_minimums_and_fits_every_answer(
    weekly: list[figures.Tally],
) -> None:
    answered = sum(week.answered for week in weekly)
    answered_weeks = sum(1 for week in weekly if week.answered)
    change = figures.fitted_change(weekly)
    if answered < figures.DIRECTION_MIN_ANSWERED or answered_weeks < figures.DIRECTION_MIN_WEEKS:
        assert change is None
        assert figures.direction(change) == "steady"
        return
    assert change is not None
    amount, t = change
    slope, spread = exact_fit(weekly)
    rate = Fraction(sum(week.toward for week in weekly), answered)
    if rate in (0, 1):
        assert change == (0.0, 0.0)
    else:
        answered_at = [x for x, week in enumerate(weekly) if week.answered]
        assert amount == pytest_approx(float(slope * (answered_at[-1] - answered_at[0])))
        assert t == pytest_approx(float(slope) / float(rate * (1 - rate) / spread) ** 0.5)
    # docs/metrics.md: a change of at least 10 points, and t at least 2, either way.
    improving = amount >= 0.10 and t >= 2.0
    declining = amount <= -0.10 and t <= -2.0
    expected = "improving" if improving else "declining" if declining else "steady"
    assert figures.direction(change) == expected


def summed_fit(weekly: Sequence[figures.Tally]) -> tuple[float, float] | None:
    """`fitted_change` as the formula reads, one `sum` a term: its floats are those of
    the trends answers served before (whatever Python's `sum` does with floats)."""
    points = [(x, week.answered, week.toward) for x, week in enumerate(weekly) if week.answered]
    answered = sum(count for _, count, _ in points)
    if len(points) < figures.DIRECTION_MIN_WEEKS or answered < figures.DIRECTION_MIN_ANSWERED:
        return None
    mean_x = sum(x * count for x, count, _ in points) / answered
    rate = sum(toward for _, _, toward in points) / answered
    spread = sum(count * (x - mean_x) ** 2 for x, count, _ in points)
    slope = sum(count * (x - mean_x) * (toward / count) for x, count, toward in points) / spread
    variance = rate * (1 - rate)
    if variance == 0:
        return 0.0, 0.0
    return slope * (points[-1][0] - points[0][0]), slope / math.sqrt(variance / spread)


@maths_settings
@given(weekly=weekly_tallies(max_weeks=60))
def test_fitted_change_gives_the_floats_of_the_formula(weekly: list[figures.Tally]) -> None:
    # Exactly: a direction on its threshold (a change of 0.1, t of 2) must not turn
    # with how the sums are taken, nor an answer's ETag change with no figure changed.
    assert figures.fitted_change(weekly) == summed_fit(weekly)


@st.composite
def monotone_weeks(draw: st.DrawFn) -> list[figures.Tally]:
    """At least DIRECTION_MIN_WEEKS answered weeks and DIRECTION_MIN_ANSWERED answers,
    their rates rising (never falling, not all equal) from one week to the next; empty
    weeks may sit anywhere between them."""
    count_weeks = draw(st.integers(figures.DIRECTION_MIN_WEEKS, 10))
    answered = draw(
        st.lists(st.integers(5, 30), min_size=count_weeks, max_size=count_weeks).filter(
            lambda sizes: sum(sizes) >= figures.DIRECTION_MIN_ANSWERED
        )
    )
    pairs = [(draw(st.integers(0, size)), size) for size in answered]
    # Sorting the (toward, answered) pairs by rate makes the rates non-decreasing.
    pairs.sort(key=lambda pair: Fraction(pair[0], pair[1]))
    assume(len({Fraction(toward, size) for toward, size in pairs}) > 1)
    tallies = []
    for toward, size in pairs:
        tallies += [figures.Tally()] * draw(st.integers(0, 2))
        tallies.append(figures.Tally(bids=size, toward=toward, away=size - toward))
    return tallies


@maths_settings
@given(weekly=monotone_weeks())
def test_fitted_change_has_the_sign_of_a_clear_monotone_trend(weekly: list[figures.Tally]) -> None:
    rising = figures.fitted_change(weekly)
    assert rising is not None
    assert rising[0] > 0 and rising[1] > 0
    assert figures.direction(rising) != "declining"

    falling = figures.fitted_change(weekly[::-1])
    assert falling is not None
    assert falling[0] < 0 and falling[1] < 0
    assert falling == pytest_approx((-rising[0], -rising[1]))
    assert figures.direction(falling) != "improving"


@maths_settings
@given(weekly=weekly_tallies(max_weeks=6))
def test_direction_is_steady_without_a_fitted_change(weekly: list[figures.Tally]) -> None:
    change = figures.fitted_change(weekly)
    if change is None:
        assert figures.direction(change) == "steady"
    assert figures.direction(None) == "steady"


# One check-in: connection, stress and how many signs it noticed.
Rating = tuple[int, int, int]


@st.composite
def habit_weeks(draw: st.DrawFn) -> list[list[Rating]]:
    """Eight weeks of check-ins whose last three move from the three before by about
    the rules' thresholds (or not at all), some with no spread at all."""
    connection = draw(st.integers(1, 10))
    drop = draw(st.sampled_from((1, 0, 2, 3)))
    stress = draw(st.integers(1, 10))
    signs = draw(st.integers(0, 4))
    rise = draw(st.sampled_from((1, 0, 2)))
    spread = draw(st.sampled_from((0, 1, 2)))
    weeks = []
    for week in range(2 * figures.RECENT_WEEKS):
        recent = week >= 2 * figures.RECENT_WEEKS - figures.HABIT_WEEKS
        ratings = []
        for _ in range(draw(st.integers(0, 5))):
            noise = draw(st.integers(-spread, spread))
            ratings.append(
                (
                    min(10, max(1, connection - (drop if recent else 0) + noise)),
                    min(10, max(1, stress + draw(st.integers(-spread, spread)))),
                    min(14, max(0, signs + (rise if recent else 0) + noise)),
                )
            )
        weeks.append(ratings)
    return weeks


def checkin_tally(ratings: Sequence[Rating]) -> figures.CheckinTally:
    counts = [0] * 14
    for _, _, noticed in ratings:
        for position in range(noticed):
            counts[position] += 1
    return figures.CheckinTally(
        checkins=len(ratings),
        connection=sum(connection for connection, _, _ in ratings),
        connection_squares=sum(connection**2 for connection, _, _ in ratings),
        stress=sum(stress for _, stress, _ in ratings),
        signs=tuple(counts),
    )


def pooled(weeks: Sequence[Sequence[Rating]]) -> Pooled:
    ratings = [rating for week in weeks for rating in week]
    return Pooled(
        n=len(ratings),
        signs=sum(noticed for _, _, noticed in ratings),
        connection=sum(connection for connection, _, _ in ratings),
        connection_squares=sum(connection**2 for connection, _, _ in ratings),
        stress=sum(stress for _, stress, _ in ratings),
    )


@maths_settings
@given(
    checkins=habit_weeks(),
    bids=st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), min_size=8, max_size=8).map(
        lambda weeks: [(answered, min(toward, answered)) for answered, toward in weeks]
    ),
    falling=st.booleans(),
    last_activity=st.none() | st.integers(-40, 10),
    began=st.integers(-60, 10),
)
def test_new_flags_are_the_rules_on_the_weeks_given(
    checkins: list[list[Rating]],
    bids: list[tuple[int, int]],
    falling: bool,
    last_activity: int | None,
    began: int,
) -> None:
    if falling:
        # Turning toward falling week after week, fast or slowly.
        bids = [
            (answered, answered - min(answered, week)) for week, (answered, _) in enumerate(bids)
        ]
    weeks = [MONDAY + timedelta(weeks=week) for week in range(2 * figures.RECENT_WEEKS)]
    tallies = [figures.Tally(bids=n, toward=toward, away=n - toward) for n, toward in bids]
    last_activity_on = None if last_activity is None else weeks[-4] + timedelta(days=last_activity)
    began_on = weeks[-4] + timedelta(days=began)

    summary = figures.summary(
        tallies,
        list(zip(weeks, tallies, strict=True)),
        [],
        PARTNERS,
        [checkin_tally(week) for week in checkins],
        last_activity_on,
        began_on,
    )

    before, recent, stressed = pooled(checkins[-6:-3]), pooled(checkins[-3:]), pooled(checkins[-4:])
    expected = []
    if distancing_rising(before, recent):
        expected.append("distancing-rising")
    if connection_falling(before, recent):
        expected.append("connection-falling")
    if (
        stressed.n >= 6
        and Fraction(stressed.stress, stressed.n) >= 7
        and turn_toward_declining(bids)
    ):
        expected.append("stress-and-turning-away")
    if last_activity_on is not None and last_activity_on < weeks[-4] and began_on <= weeks[-4]:
        expected.append("no-shared-time")
    codes = [flag.code.value for flag in summary.flags if flag.code.value in NEW_FLAGS]
    for code in expected:
        event(f"flag: {code}")
    assert codes == expected


def pytest_approx(expected: Any) -> Any:
    return pytest.approx(expected, rel=1e-9, abs=1e-12)
