"""The caseload's risk score: how much a couple's figures call for a therapist's
attention, 0 to 100. Its rules are written out in docs/metrics.md."""

from models.figures import BENCHMARKS, Tally
from models.therapist import RiskCode, RiskFactor
from models.trend import Flag, FlagCode, Summary

# Points for where the turn-toward rate of the last 4 weeks stands between the
# benchmarks: none at the masters' 86%, all of them at the disasters' 33% or below.
LEVEL_POINTS = 35
LEVEL_MIN_ANSWERED = 20
DECLINING_POINTS = 15
FLAG_POINTS = {
    FlagCode.turn_toward_low: 15,
    FlagCode.against_rising: 15,
    FlagCode.pursuer_distancer: 10,
    FlagCode.not_logging: 10,
    FlagCode.distancing_rising: 10,
    FlagCode.connection_falling: 10,
    FlagCode.stress_and_turning_away: 10,
    FlagCode.no_shared_time: 5,
}
# The factors add up past it when everything is wrong at once; the order of such
# couples among themselves matters less than that they come first.
MAX_RISK = 100


def level_points(recent: Tally) -> int:
    rate = recent.turn_toward_rate
    if rate is None or recent.answered < LEVEL_MIN_ANSWERED:
        return 0
    best, worst = BENCHMARKS.masters_turn_toward, BENCHMARKS.disasters_turn_toward
    share = min(max((best - rate) / (best - worst), 0.0), 1.0)
    return round(LEVEL_POINTS * share)


def score(recent: Tally, summary: Summary, flags: list[Flag]) -> tuple[int, list[RiskFactor]]:
    """`recent`: the last 4 weeks, as the summary counts them; `flags`: the summary's,
    and `not-logging` when it applies."""
    factors = [RiskFactor(code=RiskCode.turn_toward_level, points=level_points(recent))]
    if summary.direction == "declining":
        factors.append(RiskFactor(code=RiskCode.declining, points=DECLINING_POINTS))
    factors.extend(
        RiskFactor(code=RiskCode(flag.code.value), points=FLAG_POINTS[flag.code]) for flag in flags
    )
    factors = [factor for factor in factors if factor.points]
    return min(sum(factor.points for factor in factors), MAX_RISK), factors
