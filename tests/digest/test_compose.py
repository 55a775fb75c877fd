"""The composer on weeks built by hand: each kind of sentence, its comparisons with the
week before, its singular and plural, and what an empty week says."""

import pytest
from pydantic import TypeAdapter

from api.digest.compose import Partner, compose
from models.trend import WeekFigures
from tests.digest.helpers import ANA, BEN, ENGLISH, by_figure, digest_of, texts, week

BEN_TOWARD = f"by_partner.{BEN}.toward"
ANA_TOWARD = f"by_partner.{ANA}.toward"


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        pytest.param(
            (6, 4, 0),
            "Ben turned toward 9 of your 11 bids this week, up from 6 of 10.",
            id="up",
        ),
        pytest.param(
            (10, 0, 0),
            "Ben turned toward 9 of your 11 bids this week, down from 10 of 10.",
            id="down",
        ),
        pytest.param(
            (18, 2, 2),
            "Ben turned toward 9 of your 11 bids this week, the same share as the week "
            "before (18 of 22).",
            id="same",
        ),
        pytest.param((0, 0, 0), "Ben turned toward 9 of your 11 bids this week.", id="none-before"),
    ],
)
def test_the_partner_turning_toward_the_callers_bids(before, expected):
    sentences = digest_of(week({BEN: before}), week({BEN: (9, 1, 1)}))
    assert by_figure(sentences)[BEN_TOWARD] == expected


def test_a_comparison_is_of_the_shares_as_shown():
    # 2 of 3 and 4 of 6 are both 67%: the same share, whatever the counts.
    sentences = digest_of(week({BEN: (2, 1, 0)}), week({BEN: (4, 2, 0)}))
    assert by_figure(sentences)[BEN_TOWARD] == (
        "Ben turned toward 4 of your 6 bids this week, the same share as the week before (2 of 3)."
    )


def test_one_bid_is_singular():
    sentences = digest_of(week({BEN: (1, 0, 0), ANA: (1, 0, 0)}))
    found = by_figure(sentences)
    assert found[BEN_TOWARD] == "Ben turned toward 1 of your 1 bid this week."
    assert found[ANA_TOWARD] == "You turned toward 1 of Ben's 1 bid this week."
    assert found["bids"] == "Together you logged 2 bids this week."


def test_no_partner_is_told_they_turned_toward_none():
    # "0 of your 3" keeps a score: only the couple's rate tells such a week.
    before = week({BEN: (4, 0, 0), ANA: (2, 0, 0)})
    now = week({BEN: (0, 2, 1), ANA: (0, 1, 0)})
    for caller in (ANA, BEN):
        found = by_figure(digest_of(before, now, caller=caller))
        assert ANA_TOWARD not in found
        assert BEN_TOWARD not in found
        assert found["turn_toward_rate"] == (
            "Together you turned toward 0% of the bids answered this week, down from 100%."
        )
    # One partner's none leaves the other's sentence be.
    found = by_figure(digest_of(week({BEN: (0, 1, 0), ANA: (2, 1, 0)})))
    assert BEN_TOWARD not in found
    assert found[ANA_TOWARD] == "You turned toward 2 of Ben's 3 bids this week."


def test_the_caller_turning_toward_the_partners_bids_is_not_compared():
    sentences = digest_of(week({ANA: (1, 7, 0)}), week({ANA: (7, 1, 0)}))
    assert by_figure(sentences)[ANA_TOWARD] == "You turned toward 7 of Ben's 8 bids this week."


def test_each_partner_reads_the_same_week_from_their_side():
    weeks = (week({BEN: (6, 4, 0)}), week({BEN: (9, 2, 0), ANA: (7, 0, 1)}))
    anas = by_figure(digest_of(*weeks, caller=ANA))
    bens = by_figure(digest_of(*weeks, caller=BEN))
    assert anas[BEN_TOWARD] == "Ben turned toward 9 of your 11 bids this week, up from 6 of 10."
    assert anas[ANA_TOWARD] == "You turned toward 7 of Ben's 8 bids this week."
    assert bens[ANA_TOWARD] == "Ana turned toward 7 of your 8 bids this week."
    assert bens[BEN_TOWARD] == "You turned toward 9 of Ana's 11 bids this week."


def test_pending_bids_are_logged_but_not_answered():
    sentences = digest_of(week({BEN: (2, 0, 0)}, pending=3))
    found = by_figure(sentences)
    assert found["bids"] == "Together you logged 5 bids this week."
    assert found[BEN_TOWARD] == "Ben turned toward 2 of your 2 bids this week."
    only_pending = by_figure(digest_of(week(pending=1)))
    assert only_pending == {"bids": "Together you logged 1 bid this week."}


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        pytest.param(
            (6, 4, 0),
            (16, 3, 0),
            "Together you turned toward 84% of the bids answered this week, up from 60%.",
            id="up",
        ),
        pytest.param(
            (9, 1, 0),
            (1, 1, 0),
            "Together you turned toward 50% of the bids answered this week, down from 90%.",
            id="down",
        ),
        pytest.param(
            (1, 1, 0),
            (3, 3, 0),
            "Together you turned toward 50% of the bids answered this week, the same as "
            "the week before.",
            id="same",
        ),
        pytest.param(
            (0, 0, 0),
            (3, 1, 0),
            "Together you turned toward 75% of the bids answered this week.",
            id="none-before",
        ),
    ],
)
def test_the_couples_turn_toward_rate(before, now, expected):
    sentences = digest_of(week({BEN: before}), week({BEN: now}))
    assert by_figure(sentences)["turn_toward_rate"] == expected


def test_rates_round_half_up_to_whole_percents():
    # 57 of 200 is 28.5%: 29, where rounding to even would say 28.
    sentences = digest_of(week({BEN: (57, 143, 0)}))
    assert by_figure(sentences)["turn_toward_rate"].startswith("Together you turned toward 29%")


@pytest.mark.parametrize(
    ("repairs", "expected"),
    [
        (1, "1 repair attempt this week: reaching back after a hard moment matters."),
        (2, "2 repair attempts this week: reaching back after a hard moment matters."),
    ],
)
def test_repair_attempts(repairs, expected):
    sentences = digest_of(week({BEN: (3, 0, 0)}, repairs=repairs))
    assert by_figure(sentences)["repairs"] == expected


def test_no_repair_attempt_says_nothing_of_them():
    assert "repairs" not in by_figure(digest_of(week({BEN: (3, 0, 0)})))


@pytest.mark.parametrize(
    ("responses", "expected"),
    [
        pytest.param(
            (12, 0, 0),
            "Your shared emotional bank account grew by 12 points this week: every turn "
            "toward is a deposit.",
            id="grew",
        ),
        pytest.param(
            (6, 1, 0),
            "Your shared emotional bank account grew by 1 point this week: every turn "
            "toward is a deposit.",
            id="grew-by-one",
        ),
        pytest.param(
            (5, 1, 0),
            "Your shared emotional bank account held even this week: deposits and "
            "withdrawals balanced out.",
            id="even",
        ),
        pytest.param(
            (2, 1, 1),
            "Your shared emotional bank account dipped by 8 points this week; each turn "
            "toward adds to it again.",
            id="dipped",
        ),
    ],
)
def test_the_weeks_net(responses, expected):
    sentences = digest_of(week({BEN: responses}))
    assert by_figure(sentences)["net"] == expected


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        pytest.param(
            {"count": 4, "connection": 6.75},
            {"count": 9, "connection": 7.5},
            "Connection averaged 7.5 out of 10 across 9 check-ins, up from 6.8.",
            id="up",
        ),
        pytest.param(
            {"count": 4, "connection": 8.0},
            {"count": 1, "connection": 6.0},
            "Connection averaged 6.0 out of 10 across 1 check-in, down from 8.0.",
            id="down-singular",
        ),
        pytest.param(
            {"count": 3, "connection": 7.0 + 1 / 3},
            {"count": 6, "connection": 7.3},
            "Connection averaged 7.3 out of 10 across 6 check-ins, the same as the week before.",
            id="same-as-shown",
        ),
        pytest.param(
            {},
            {"count": 2, "connection": 7.25},
            "Connection averaged 7.3 out of 10 across 2 check-ins.",
            id="none-before",
        ),
    ],
)
def test_connection_across_the_checkins(before, now, expected):
    sentences = digest_of(week(checkins=before), week(checkins={"stress": 3.0, **now}))
    assert by_figure(sentences)["checkins.connection_avg"] == expected


def test_outside_stress_and_a_gentle_word_when_it_is_high():
    calm = by_figure(digest_of(week(checkins={"count": 2, "connection": 7, "stress": 4.5})))
    assert calm["checkins.stress_avg"] == (
        "Stress from outside the relationship averaged 4.5 out of 10."
    )
    # 6.96 is shown as 7.0, and 7.0 is high.
    high = by_figure(digest_of(week(checkins={"count": 2, "connection": 7, "stress": 6.96})))
    assert high["checkins.stress_avg"] == (
        "Stress from outside the relationship averaged 7.0 out of 10. Stress like that can "
        "make turning toward each other harder, for anyone."
    )


def test_signs_noticed_more_often_than_the_week_before():
    before = week(
        checkins={
            "count": 5,
            "connection": 6,
            "stress": 4,
            "signs": {
                "poor_listening": 1,
                "unhappiness": 2,
                "withholding_affection": 3,
                "infidelity": 2,
            },
        }
    )
    now = week(
        checkins={
            "count": 5,
            "connection": 6,
            "stress": 4,
            "signs": {
                "poor_listening": 3,
                "unhappiness": 4,
                "withholding_affection": 3,
                "lack_of_support": 1,
                "infidelity": 1,
            },
        }
    )
    found = [s for s in digest_of(before, now) if s.figure.startswith("checkins.signs.")]
    assert [(s.figure, s.text) for s in found] == [
        (
            "checkins.signs.unhappiness",
            "Unhappiness came up 4 times in your check-ins this week, up from 2 times.",
        ),
        (
            "checkins.signs.poor_listening",
            "Poor listening came up 3 times in your check-ins this week, up from once.",
        ),
        (
            "checkins.signs.lack_of_support",
            "Missing support came up once in your check-ins this week, up from none the "
            "week before.",
        ),
    ]


def test_after_a_week_without_checkins_the_signs_noticed_are_told_at_most_three():
    now = week(
        checkins={
            "count": 6,
            "connection": 6,
            "stress": 4,
            "signs": {
                "infidelity": 1,
                "poor_listening": 2,
                "unhappiness": 2,
                "apathy_during_arguments": 5,
                "emotional_detachment": 1,
            },
        }
    )
    found = [s for s in digest_of(week(), now) if s.figure.startswith("checkins.signs.")]
    assert texts(found) == [
        "Pulling back in disagreements came up 5 times in your check-ins this week.",
        "Unhappiness came up 2 times in your check-ins this week.",
        "Poor listening came up 2 times in your check-ins this week.",
    ]
    single = week(checkins={"count": 1, "connection": 6, "stress": 4, "signs": {"infidelity": 1}})
    assert by_figure(digest_of(single))["checkins.signs.infidelity"] == (
        "Worries about faithfulness came up once in your check-ins this week."
    )


def test_no_checkin_says_nothing_of_them():
    found = by_figure(digest_of(week({BEN: (1, 0, 0)})))
    assert not [figure for figure in found if figure.startswith("checkins")]


@pytest.mark.parametrize(
    ("activities", "figure", "expected"),
    [
        pytest.param(
            {"date_night": 2, "shared_activity": 1, "minutes": 180},
            "activities.kinds.date_night",
            "2 date nights and 1 shared activity this week, 180 minutes together.",
            id="two-kinds",
        ),
        pytest.param(
            {"shared_activity": 1, "checkin_talk": 2, "other": 1, "minutes": 1},
            "activities.kinds.shared_activity",
            "1 shared activity, 2 check-in talks and 1 other shared time this week, "
            "1 minute together.",
            id="three-kinds",
        ),
        pytest.param(
            {"date_night": 1},
            "activities.kinds.date_night",
            "1 date night this week.",
            id="no-minutes",
        ),
        pytest.param(
            {"checkin_talk": 1, "minutes": 20},
            "activities.kinds.checkin_talk",
            "1 check-in talk this week, 20 minutes together.",
            id="one-kind",
        ),
    ],
)
def test_shared_time(activities, figure, expected):
    sentences = digest_of(week(activities=activities))
    assert by_figure(sentences)[figure] == expected


NO_SHARED_TIME = (
    "No date night or shared activity logged for four weeks: the research ties shared "
    "time to turning toward."
)


def test_no_shared_time_when_the_flag_is_up():
    sentences = digest_of(week({BEN: (3, 0, 0)}), flags=("no-shared-time",))
    assert by_figure(sentences)["summary.flags.no-shared-time"] == NO_SHARED_TIME


def test_no_shared_time_only_when_the_summary_says_so():
    # Shared time five weeks ago and none since, but no flag (a couple too new for
    # four quiet weeks, say): the summary's rule decides, the digest adds none.
    earlier = week(activities={"date_night": 1}, start="2024-04-01")
    quiet = [week({BEN: (1, 0, 0)}) for _ in range(4)]
    assert NO_SHARED_TIME not in texts(digest_of(earlier, *quiet))
    assert NO_SHARED_TIME in texts(digest_of(earlier, *quiet, flags=("no-shared-time",)))


def test_new_flags_are_worded_kindly_and_old_ones_not_again():
    flags = ("turn-toward-low", "connection-falling", "pursuer-distancer", "distancing-rising")
    sentences = digest_of(week({BEN: (1, 3, 0)}), flags=flags, flags_before=("distancing-rising",))
    worded = [s for s in sentences if s.figure.startswith("summary.flags.")]
    assert [(s.figure, s.text) for s in worded] == [
        (
            "summary.flags.turn-toward-low",
            "Turning toward has been under half for three weeks. Small moments of noticing "
            "each other count, and they add up.",
        ),
        (
            "summary.flags.connection-falling",
            "Connection in your check-ins has been lower over the last three weeks than the "
            "three before. A check-in talk or some time together can help you reconnect.",
        ),
    ]


@pytest.mark.parametrize(
    "code",
    ["against-rising", "not-logging", "distancing-rising", "stress-and-turning-away"],
)
def test_every_other_new_flag_has_words(code):
    sentences = digest_of(week({BEN: (1, 0, 0)}), flags=(code,))
    assert f"summary.flags.{code}" in by_figure(sentences)


NOTHING = (
    "Nothing was logged this week. Whenever you are ready, one bid, one check-in or one "
    "evening together is a fine place to start."
)


def test_an_empty_week_gets_one_kind_sentence():
    sentences = digest_of(week({BEN: (5, 1, 0)}), week())
    assert [(s.figure, s.text) for s in sentences] == [("bids", NOTHING)]


def test_an_empty_week_does_not_also_say_bids_stopped():
    sentences = digest_of(week(), flags=("not-logging", "turn-toward-low"))
    assert [s.figure for s in sentences] == ["bids", "summary.flags.turn-toward-low"]


def test_a_week_with_only_a_checkin_is_not_empty():
    sentences = digest_of(week(checkins={"count": 1, "connection": 8, "stress": 2}))
    assert NOTHING not in texts(sentences)


def test_a_couple_whose_partner_has_not_joined_hears_of_the_couple_only():
    sentences = compose([week()], [], ANA, None, ENGLISH)
    assert texts(sentences) == [NOTHING]


def test_the_weeks_built_here_are_as_the_trends_read_holds_them():
    # The composer reads `WeeklyTrends.weeks` as they are: partners' ids as UUIDs.
    weeks = TypeAdapter(list[WeekFigures]).validate_python(
        [week({BEN: (2, 1, 0)}, checkins={"count": 1, "connection": 7, "stress": 3})]
    )
    assert set(weeks[0]["by_partner"]) == {ANA, BEN}
    assert by_figure(digest_of(*weeks))[BEN_TOWARD] == (
        "Ben turned toward 2 of your 3 bids this week."
    )


def test_the_order_of_a_full_week():
    before = week({BEN: (6, 4, 0)}, checkins={"count": 2, "connection": 6, "stress": 3})
    now = week(
        {BEN: (9, 2, 0), ANA: (7, 0, 1)},
        repairs=2,
        checkins={"count": 9, "connection": 7.5, "stress": 7.2, "signs": {"poor_listening": 3}},
        activities={"date_night": 2, "shared_activity": 1, "minutes": 180},
    )
    sentences = compose([before, now], ["against-rising"], ANA, Partner(BEN, "Ben"), ENGLISH)
    assert [s.figure for s in sentences] == [
        BEN_TOWARD,
        ANA_TOWARD,
        "bids",
        "turn_toward_rate",
        "repairs",
        "net",
        "checkins.connection_avg",
        "checkins.stress_avg",
        "checkins.signs.poor_listening",
        "activities.kinds.date_night",
        "summary.flags.against-rising",
    ]
