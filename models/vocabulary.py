"""The product's words as enumerations shared by tables and schemas, and which
response a bid counts by."""

from enum import StrEnum


class AccountType(StrEnum):
    partner = "partner"
    therapist = "therapist"


# The account that stands in for an erased partner in the couple they leave behind
# (api/users/erasure.py): stored as an account type, never registered as one, and never
# logged in.
FORMER_PARTNER = "former"


class Response(StrEnum):
    toward = "toward"
    away = "away"
    against = "against"


def effective_response(bidder_response: str | None, responder_response: str | None) -> str | None:
    """The response a bid counts by: the bidder's view when given, else the
    responder's. The database's `toward_effective_response` (alembic/versions/0006) is
    this rule; on SQLite it is this very function (api/core/db.py)."""
    return bidder_response if bidder_response is not None else responder_response


class BidKind(StrEnum):
    attention = "attention"
    affection = "affection"
    humor = "humor"
    support = "support"
    conversation = "conversation"
    interest = "interest"
    play = "play"
    self_disclosure = "self_disclosure"
    help = "help"
    intimacy = "intimacy"
    other = "other"


class Channel(StrEnum):
    verbal = "verbal"
    nonverbal = "nonverbal"
    written = "written"


class Style(StrEnum):
    # toward
    passive = "passive"
    low_energy = "low_energy"
    attentive = "attentive"
    high_energy = "high_energy"
    # away
    preoccupied = "preoccupied"
    disregarding = "disregarding"
    interrupting = "interrupting"
    # against
    contemptuous = "contemptuous"
    belligerent = "belligerent"
    contradictory = "contradictory"
    domineering = "domineering"
    critical = "critical"
    defensive = "defensive"


STYLES_BY_RESPONSE: dict[Response, frozenset[Style]] = {
    Response.toward: frozenset(
        {Style.passive, Style.low_energy, Style.attentive, Style.high_energy}
    ),
    Response.away: frozenset({Style.preoccupied, Style.disregarding, Style.interrupting}),
    Response.against: frozenset(
        {
            Style.contemptuous,
            Style.belligerent,
            Style.contradictory,
            Style.domineering,
            Style.critical,
            Style.defensive,
        }
    ),
}


class WeekStart(StrEnum):
    monday = "monday"
    sunday = "sunday"


class LoveLanguage(StrEnum):
    words = "words"
    acts = "acts"
    gifts = "gifts"
    time = "time"
    touch = "touch"


class AttachmentStyle(StrEnum):
    secure = "secure"
    anxious = "anxious"
    avoidant = "avoidant"
    disorganized = "disorganized"


class DistancingSign(StrEnum):
    """The 14 signs of distancing of the source article. The order is stored: a
    check-in keeps the signs noticed as bits, the first sign the lowest bit
    (alembic/versions/0007): add new signs at the end, never between."""

    difficulty_expressing_feelings = "difficulty_expressing_feelings"
    withholding_affection = "withholding_affection"
    intimacy_issues = "intimacy_issues"
    lack_of_empathy = "lack_of_empathy"
    lack_of_support = "lack_of_support"
    communication_breakdown = "communication_breakdown"
    different_emotional_needs = "different_emotional_needs"
    preference_for_being_alone = "preference_for_being_alone"
    apathy_during_arguments = "apathy_during_arguments"
    unhappiness = "unhappiness"
    unresolved_conflicts = "unresolved_conflicts"
    emotional_detachment = "emotional_detachment"
    poor_listening = "poor_listening"
    infidelity = "infidelity"


SIGNS: tuple[DistancingSign, ...] = tuple(DistancingSign)


def signs_to_bits(signs: "list[DistancingSign] | tuple[DistancingSign, ...]") -> int:
    return sum(1 << SIGNS.index(sign) for sign in signs)


def signs_of_bits(bits: int) -> list[DistancingSign]:
    return [sign for position, sign in enumerate(SIGNS) if bits >> position & 1]


class ActivityKind(StrEnum):
    date_night = "date_night"
    shared_activity = "shared_activity"
    checkin_talk = "checkin_talk"
    other = "other"


def in_list(column: str, enum: type[StrEnum], *more: str) -> str:
    """SQL for a check constraint that keeps a text column inside an enumeration (and
    the `more` values given)."""
    values = ", ".join(f"'{value}'" for value in (*(member.value for member in enum), *more))
    return f"{column} IN ({values})"
