"""The caseload's risk score (docs/metrics.md): its points at the benchmarks, and its
properties over any figures."""

from hypothesis import given
from hypothesis import strategies as st

from api.therapists import risk
from models.figures import Tally
from models.therapist import RiskCode
from models.trend import Direction, Flag, FlagCode, Summary


def _summary(direction: Direction = "steady") -> Summary:
    return Summary(
        turn_toward_rate_4w=None,
        direction=direction,
        turn_toward_change=None,
        pursuer_distancer=None,
        flags=[],
    )


def _tally(toward: int, away: int, against: int = 0) -> Tally:
    return Tally(bids=toward + away + against, toward=toward, away=away, against=against)


def test_the_level_is_zero_at_the_masters_and_full_at_the_disasters() -> None:
    assert risk.level_points(_tally(86, 14)) == 0
    assert risk.level_points(_tally(95, 5)) == 0
    assert risk.level_points(_tally(33, 67)) == risk.LEVEL_POINTS
    assert risk.level_points(_tally(10, 60, 30)) == risk.LEVEL_POINTS
    # Half way between the benchmarks: (0.86 - 0.595) / 0.53 = 0.5.
    assert risk.level_points(_tally(119, 81)) == round(risk.LEVEL_POINTS / 2)


def test_too_few_answered_bids_give_no_level() -> None:
    assert risk.level_points(_tally(0, 19)) == 0
    assert risk.level_points(_tally(0, 20)) == risk.LEVEL_POINTS
    assert risk.level_points(Tally(bids=50)) == 0  # all pending


def test_each_factor_is_listed_with_its_points() -> None:
    flags = [Flag(code=code, detail="") for code in FlagCode]
    score, factors = risk.score(_tally(0, 40), _summary("declining"), flags)
    assert score == 100
    assert [factor.code for factor in factors] == [
        RiskCode.turn_toward_level,
        RiskCode.declining,
        RiskCode.turn_toward_low,
        RiskCode.against_rising,
        RiskCode.not_logging,
        RiskCode.pursuer_distancer,
        RiskCode.distancing_rising,
        RiskCode.connection_falling,
        RiskCode.stress_and_turning_away,
        RiskCode.no_shared_time,
    ]
    assert risk.score(_tally(90, 10), _summary("improving"), []) == (0, [])


def test_the_score_stops_at_100_while_the_factors_keep_their_points() -> None:
    flags = [Flag(code=code, detail="") for code in FlagCode]
    score, factors = risk.score(_tally(0, 40), _summary("declining"), flags)
    assert sum(factor.points for factor in factors) > risk.MAX_RISK
    assert score == risk.MAX_RISK
    habits_only = [
        Flag(code=FlagCode.distancing_rising, detail=""),
        Flag(code=FlagCode.connection_falling, detail=""),
        Flag(code=FlagCode.stress_and_turning_away, detail=""),
        Flag(code=FlagCode.no_shared_time, detail=""),
    ]
    assert risk.score(_tally(90, 10), _summary(), habits_only)[0] == 35


answered = st.integers(min_value=0, max_value=400)
flag_sets = st.sets(st.sampled_from(list(FlagCode)))
directions = st.sampled_from(["improving", "steady", "declining"])


@given(answered, answered, answered, directions, flag_sets)
def test_the_score_adds_up_its_factors_within_0_and_100(
    toward: int, away: int, against: int, direction: Direction, codes: set[FlagCode]
) -> None:
    flags = [Flag(code=code, detail="") for code in sorted(codes)]
    score, factors = risk.score(_tally(toward, away, against), _summary(direction), flags)
    assert 0 <= score <= 100
    assert score == min(sum(factor.points for factor in factors), 100)
    assert all(factor.points > 0 for factor in factors)
    assert len({factor.code for factor in factors}) == len(factors)


@given(st.integers(min_value=20, max_value=300), st.data())
def test_turning_toward_more_never_raises_the_level(total: int, data: st.DataObject) -> None:
    fewer = data.draw(st.integers(min_value=0, max_value=total))
    more = data.draw(st.integers(min_value=fewer, max_value=total))
    assert risk.level_points(_tally(more, total - more)) <= risk.level_points(
        _tally(fewer, total - fewer)
    )


@given(flag_sets, directions, st.sampled_from(list(FlagCode)))
def test_a_further_flag_never_lowers_the_score(
    codes: set[FlagCode], direction: Direction, extra: FlagCode
) -> None:
    recent = _tally(60, 40)
    before, _ = risk.score(recent, _summary(direction), [Flag(code=c, detail="") for c in codes])
    after, _ = risk.score(
        recent, _summary(direction), [Flag(code=c, detail="") for c in codes | {extra}]
    )
    assert after >= before
