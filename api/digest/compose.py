"""The weekly digest in words: a pure function from a couple's weekly figures to a few
plain sentences for one partner. No I/O, no free text: only the figures of the trends
read (its weeks as `WeeklyTrends` holds them, its flag codes), the partner's display
name and a message catalogue go in.

Every sentence names its figure: the dotted path of a value in the digest week's entry
of the trends response (`by_partner.<id>.toward`, `checkins.connection_avg`), or
`summary.flags.<code>` for a flag. The first number a sentence shows is that figure
(a net by its size); counts are shown as integers, averages with one decimal, rates as
whole percentages, each rounded half up, and comparisons with the week before are made
on the numbers as shown, so "up from 7.5" never follows a 7.5."""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, Field

from api.digest.catalogue import Catalogue, Message, Plural
from models.trend import CheckinFigures, PartnerWeek, WeekFigures

# At most this many signs of distancing are worded, the most noticed first: the digest
# stays a few sentences, and the full counts are in the trends.
MAX_SIGNS = 3
# A weekly average of outside stress from which the digest adds a gentle word about it.
HIGH_STRESS = Decimal("7.0")


class Sentence(BaseModel):
    text: str
    figure: str = Field(
        description="The dotted path of the figure the sentence tells, in the digest "
        "week's entry of `GET /couples/{couple_id}/trends/weekly` (for example "
        "`by_partner.<partner id>.toward`), or `summary.flags.<code>` for a flag of "
        "that read's summary."
    )


@dataclass(frozen=True)
class Partner:
    """The other partner of the couple, as the caller knows them."""

    id: uuid.UUID
    name: str


def one_decimal(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def whole_percent(rate: float) -> int:
    return int((Decimal(str(rate)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _answered(figures: PartnerWeek | WeekFigures) -> int:
    return figures["toward"] + figures["away"] + figures["against"]


def _compare(now: Decimal | int, before: Decimal | int) -> str:
    if now == before:
        return "same"
    return "up" if now > before else "down"


# --- The bids -------------------------------------------------------------------------

PARTNER_TOWARD = {
    None: Plural(
        "{partner} turned toward {toward} of your {count} bid this week.",
        "{partner} turned toward {toward} of your {count} bids this week.",
    ),
    "up": Plural(
        "{partner} turned toward {toward} of your {count} bid this week, "
        "up from {toward_before} of {count_before}.",
        "{partner} turned toward {toward} of your {count} bids this week, "
        "up from {toward_before} of {count_before}.",
    ),
    "down": Plural(
        "{partner} turned toward {toward} of your {count} bid this week, "
        "down from {toward_before} of {count_before}.",
        "{partner} turned toward {toward} of your {count} bids this week, "
        "down from {toward_before} of {count_before}.",
    ),
    "same": Plural(
        "{partner} turned toward {toward} of your {count} bid this week, "
        "the same share as the week before ({toward_before} of {count_before}).",
        "{partner} turned toward {toward} of your {count} bids this week, "
        "the same share as the week before ({toward_before} of {count_before}).",
    ),
}
CALLER_TOWARD = Plural(
    "You turned toward {toward} of {partner}'s {count} bid this week.",
    "You turned toward {toward} of {partner}'s {count} bids this week.",
)
BIDS_TOGETHER = Plural(
    "Together you logged {count} bid this week.",
    "Together you logged {count} bids this week.",
)
RATE = {
    None: Message("Together you turned toward {percent}% of the bids answered this week."),
    "up": Message(
        "Together you turned toward {percent}% of the bids answered this week, "
        "up from {percent_before}%."
    ),
    "down": Message(
        "Together you turned toward {percent}% of the bids answered this week, "
        "down from {percent_before}%."
    ),
    "same": Message(
        "Together you turned toward {percent}% of the bids answered this week, "
        "the same as the week before."
    ),
}
REPAIRS = Plural(
    "{count} repair attempt this week: reaching back after a hard moment matters.",
    "{count} repair attempts this week: reaching back after a hard moment matters.",
)
NET_GREW = Plural(
    "Your shared emotional bank account grew by {count} point this week: every turn "
    "toward is a deposit.",
    "Your shared emotional bank account grew by {count} points this week: every turn "
    "toward is a deposit.",
)
NET_EVEN = Message(
    "Your shared emotional bank account held even this week: deposits and withdrawals balanced out."
)
NET_DIPPED = Plural(
    "Your shared emotional bank account dipped by {count} point this week; each turn "
    "toward adds to it again.",
    "Your shared emotional bank account dipped by {count} points this week; each turn "
    "toward adds to it again.",
)


# A per-partner sentence is left out when that partner turned toward none of the
# other's bids: "0 of your 3" would read as a score kept against them. The couple's
# rate still tells the week.
def _partner_toward(
    week: WeekFigures, before: WeekFigures | None, partner: Partner, catalogue: Catalogue
) -> Sentence | None:
    figures = week["by_partner"].get(partner.id)
    if figures is None or figures["toward"] == 0:
        return None
    answered = _answered(figures)
    values: dict[str, object] = {"partner": partner.name, "toward": figures["toward"]}
    trend = None
    earlier = before["by_partner"].get(partner.id) if before is not None else None
    if earlier is not None and _answered(earlier) > 0:
        trend = _compare(
            whole_percent(figures["toward"] / answered),
            whole_percent(earlier["toward"] / _answered(earlier)),
        )
        values.update(toward_before=earlier["toward"], count_before=_answered(earlier))
    return Sentence(
        text=catalogue.plural(PARTNER_TOWARD[trend], answered, **values),
        figure=f"by_partner.{partner.id}.toward",
    )


def _caller_toward(
    week: WeekFigures, caller_id: uuid.UUID, partner: Partner, catalogue: Catalogue
) -> Sentence | None:
    figures = week["by_partner"].get(caller_id)
    if figures is None or figures["toward"] == 0:
        return None
    return Sentence(
        text=catalogue.plural(
            CALLER_TOWARD, _answered(figures), partner=partner.name, toward=figures["toward"]
        ),
        figure=f"by_partner.{caller_id}.toward",
    )


def _bids(week: WeekFigures, catalogue: Catalogue) -> Sentence | None:
    if not week["bids"]:
        return None
    return Sentence(text=catalogue.plural(BIDS_TOGETHER, week["bids"]), figure="bids")


def _rate(week: WeekFigures, before: WeekFigures | None, catalogue: Catalogue) -> Sentence | None:
    if week["turn_toward_rate"] is None:
        return None
    percent = whole_percent(week["turn_toward_rate"])
    trend, values = None, {}
    if before is not None and before["turn_toward_rate"] is not None:
        percent_before = whole_percent(before["turn_toward_rate"])
        trend, values = _compare(percent, percent_before), {"percent_before": percent_before}
    return Sentence(
        text=catalogue.text(RATE[trend], percent=percent, **values), figure="turn_toward_rate"
    )


def _repairs(week: WeekFigures, catalogue: Catalogue) -> Sentence | None:
    if not week["repairs"]:
        return None
    return Sentence(text=catalogue.plural(REPAIRS, week["repairs"]), figure="repairs")


def _net(week: WeekFigures, catalogue: Catalogue) -> Sentence | None:
    if _answered(week) == 0:
        return None
    net = week["net"]
    if net > 0:
        text = catalogue.plural(NET_GREW, net)
    elif net < 0:
        text = catalogue.plural(NET_DIPPED, -net)
    else:
        text = catalogue.text(NET_EVEN)
    return Sentence(text=text, figure="net")


# --- Check-ins ------------------------------------------------------------------------

CONNECTION = {
    None: Plural(
        "Connection averaged {connection} out of 10 across {count} check-in.",
        "Connection averaged {connection} out of 10 across {count} check-ins.",
    ),
    "up": Plural(
        "Connection averaged {connection} out of 10 across {count} check-in, "
        "up from {connection_before}.",
        "Connection averaged {connection} out of 10 across {count} check-ins, "
        "up from {connection_before}.",
    ),
    "down": Plural(
        "Connection averaged {connection} out of 10 across {count} check-in, "
        "down from {connection_before}.",
        "Connection averaged {connection} out of 10 across {count} check-ins, "
        "down from {connection_before}.",
    ),
    "same": Plural(
        "Connection averaged {connection} out of 10 across {count} check-in, "
        "the same as the week before.",
        "Connection averaged {connection} out of 10 across {count} check-ins, "
        "the same as the week before.",
    ),
}
STRESS = Message("Stress from outside the relationship averaged {stress} out of 10.")
STRESS_HIGH = Message(
    "Stress from outside the relationship averaged {stress} out of 10. Stress like that "
    "can make turning toward each other harder, for anyone."
)
SIGN_LABELS = {
    "difficulty_expressing_feelings": Message("Difficulty expressing feelings"),
    "withholding_affection": Message("Holding back affection"),
    "intimacy_issues": Message("Distance in intimacy"),
    "lack_of_empathy": Message("Missing empathy"),
    "lack_of_support": Message("Missing support"),
    "communication_breakdown": Message("Talking past each other"),
    "different_emotional_needs": Message("Different emotional needs"),
    "preference_for_being_alone": Message("Wanting time alone"),
    "apathy_during_arguments": Message("Pulling back in disagreements"),
    "unhappiness": Message("Unhappiness"),
    "unresolved_conflicts": Message("Unresolved conflicts"),
    "emotional_detachment": Message("Feeling emotionally distant"),
    "poor_listening": Message("Poor listening"),
    "infidelity": Message("Worries about faithfulness"),
}
SIGN_NOTICED = Plural(
    "{sign} came up once in your check-ins this week.",
    "{sign} came up {count} times in your check-ins this week.",
)
SIGN_UP_FROM_NONE = Plural(
    "{sign} came up once in your check-ins this week, up from none the week before.",
    "{sign} came up {count} times in your check-ins this week, up from none the week before.",
)
SIGN_UP = Message("{sign} came up {times} in your check-ins this week, up from {times_before}.")
TIMES = Plural("once", "{count} times")


def _checkins_of(week: WeekFigures | None) -> CheckinFigures | None:
    """The week's check-in figures, when there were check-ins."""
    return week["checkins"] if week is not None and week["checkins"]["count"] else None


def _connection(
    week: WeekFigures, before: WeekFigures | None, catalogue: Catalogue
) -> Sentence | None:
    figures, earlier = _checkins_of(week), _checkins_of(before)
    if figures is None or figures["connection_avg"] is None:
        return None
    connection = one_decimal(figures["connection_avg"])
    trend, values = None, {}
    if earlier is not None and earlier["connection_avg"] is not None:
        connection_before = one_decimal(earlier["connection_avg"])
        trend = _compare(connection, connection_before)
        values = {"connection_before": connection_before}
    return Sentence(
        text=catalogue.plural(CONNECTION[trend], figures["count"], connection=connection, **values),
        figure="checkins.connection_avg",
    )


def _stress(week: WeekFigures, catalogue: Catalogue) -> Sentence | None:
    figures = _checkins_of(week)
    if figures is None or figures["stress_avg"] is None:
        return None
    stress = one_decimal(figures["stress_avg"])
    message = STRESS_HIGH if stress >= HIGH_STRESS else STRESS
    return Sentence(text=catalogue.text(message, stress=stress), figure="checkins.stress_avg")


def _signs(week: WeekFigures, before: WeekFigures | None, catalogue: Catalogue) -> list[Sentence]:
    """The signs noticed more often than the week before (or, after a week with no
    check-ins, the signs noticed at all), the most noticed first."""
    figures, earlier = _checkins_of(week), _checkins_of(before)
    if figures is None:
        return []
    order = {code: position for position, code in enumerate(SIGN_LABELS)}
    noticed = [
        (code, count)
        for code, count in figures["signs"].items()
        if code in SIGN_LABELS
        and count > 0
        and (earlier is None or count > earlier["signs"].get(code, 0))
    ]
    noticed.sort(key=lambda item: (-item[1], order[item[0]]))
    sentences = []
    for code, count in noticed[:MAX_SIGNS]:
        sign = catalogue.text(SIGN_LABELS[code])
        if earlier is None:
            text = catalogue.plural(SIGN_NOTICED, count, sign=sign)
        elif (count_before := earlier["signs"].get(code, 0)) == 0:
            text = catalogue.plural(SIGN_UP_FROM_NONE, count, sign=sign)
        else:
            text = catalogue.text(
                SIGN_UP,
                sign=sign,
                times=catalogue.plural(TIMES, count),
                times_before=catalogue.plural(TIMES, count_before),
            )
        sentences.append(Sentence(text=text, figure=f"checkins.signs.{code}"))
    return sentences


# --- Shared time ----------------------------------------------------------------------

KINDS = {
    "date_night": Plural("{count} date night", "{count} date nights"),
    "shared_activity": Plural("{count} shared activity", "{count} shared activities"),
    "checkin_talk": Plural("{count} check-in talk", "{count} check-in talks"),
    "other": Plural("{count} other shared time", "{count} other shared times"),
}
LIST_OF_TWO = Message("{first} and {last}")
LIST_OF_MORE = Message("{first}, {rest}")
SHARED_TIME = Message("{activities} this week.")
SHARED_TIME_MINUTES = Plural(
    "{activities} this week, {count} minute together.",
    "{activities} this week, {count} minutes together.",
)
NO_SHARED_TIME = Message(
    "No date night or shared activity logged for four weeks: the research ties shared "
    "time to turning toward."
)
NO_SHARED_TIME_FLAG = "no-shared-time"


def _listed(items: Sequence[str], catalogue: Catalogue) -> str:
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return catalogue.text(LIST_OF_TWO, first=items[0], last=items[1])
    return catalogue.text(LIST_OF_MORE, first=items[0], rest=_listed(items[1:], catalogue))


def _shared_time(
    week: WeekFigures, flags: Collection[str], catalogue: Catalogue
) -> Sentence | None:
    """The week's shared time by kind; or, when the summary flags `no-shared-time`, that
    there was none for four weeks (its rule, and when it does not apply, are the
    summary's: docs/metrics.md)."""
    figures = week["activities"]
    done = [(kind, count) for kind in KINDS if (count := figures["kinds"].get(kind, 0)) > 0]
    if done:
        items = [catalogue.plural(KINDS[kind], count) for kind, count in done]
        activities = _listed(items, catalogue)
        if figures["minutes"]:
            text = catalogue.plural(SHARED_TIME_MINUTES, figures["minutes"], activities=activities)
        else:
            text = catalogue.text(SHARED_TIME, activities=activities)
        return Sentence(text=text, figure=f"activities.kinds.{done[0][0]}")
    if NO_SHARED_TIME_FLAG in flags:
        return Sentence(
            text=catalogue.text(NO_SHARED_TIME), figure=f"summary.flags.{NO_SHARED_TIME_FLAG}"
        )
    return None


# --- Flags and an empty week ----------------------------------------------------------

FLAGS = {
    "turn-toward-low": Message(
        "Turning toward has been under half for three weeks. Small moments of noticing "
        "each other count, and they add up."
    ),
    "against-rising": Message(
        "Turning against has come up more often lately than in the weeks before. A "
        "gentle repair attempt can soften a hard moment."
    ),
    "not-logging": Message(
        "No bids have been logged for two weeks. Noticing one small moment together is "
        "an easy way back in."
    ),
    "distancing-rising": Message(
        "Signs of distancing have come up more often in your check-ins over the last "
        "three weeks. Naming them together is a caring first step."
    ),
    "connection-falling": Message(
        "Connection in your check-ins has been lower over the last three weeks than the "
        "three before. A check-in talk or some time together can help you reconnect."
    ),
    "stress-and-turning-away": Message(
        "Outside stress has been high for a while, and turning toward has eased off. "
        "Stress from outside the relationship can make turning toward harder, for anyone."
    ),
}
NOTHING_LOGGED = Message(
    "Nothing was logged this week. Whenever you are ready, one bid, one check-in or one "
    "evening together is a fine place to start."
)


def _empty(week: WeekFigures) -> bool:
    return not (week["bids"] or week["checkins"]["count"] or week["activities"]["count"])


def _flags(
    flags: Sequence[str], flags_before: Collection[str], empty: bool, catalogue: Catalogue
) -> list[Sentence]:
    """The flags raised this week that were not up the week before, kindly worded;
    `no-shared-time` has its own sentence, and `pursuer-distancer` is not worded: it
    points at one partner, which a weekly sentence could not do without seeming to
    blame."""
    sentences = []
    for code in flags:
        if code not in FLAGS or code in flags_before or (empty and code == "not-logging"):
            continue
        sentences.append(Sentence(text=catalogue.text(FLAGS[code]), figure=f"summary.flags.{code}"))
    return sentences


def compose(
    weeks: Sequence[WeekFigures],
    flags: Sequence[str],
    caller_id: uuid.UUID,
    partner: Partner | None,
    catalogue: Catalogue,
    *,
    flags_before: Collection[str] = (),
) -> list[Sentence]:
    """The digest of the last of `weeks` (oldest first, as the trends read has them; the
    week before it gives the comparisons), for the partner `caller_id`. `flags` are the
    codes of the flags of a trends summary ending with that week, in its order;
    `flags_before` those of one ending a week earlier. A week with nothing logged gets
    one kind sentence saying so, and any new flag."""
    week = weeks[-1]
    before = weeks[-2] if len(weeks) >= 2 else None
    empty = _empty(week)
    found: list[Sentence | None] = []
    if empty:
        found.append(Sentence(text=catalogue.text(NOTHING_LOGGED), figure="bids"))
    if partner is not None:
        found.append(_partner_toward(week, before, partner, catalogue))
        found.append(_caller_toward(week, caller_id, partner, catalogue))
    found += [
        _bids(week, catalogue),
        _rate(week, before, catalogue),
        _repairs(week, catalogue),
        _net(week, catalogue),
        _connection(week, before, catalogue),
        _stress(week, catalogue),
        *_signs(week, before, catalogue),
        _shared_time(week, flags, catalogue),
        *_flags(flags, flags_before, empty, catalogue),
    ]
    return [sentence for sentence in found if sentence is not None]
