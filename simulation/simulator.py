"""Deterministic couples for demos, tests and benchmarks: bids, check-ins and shared
activities generated from a profile of how a couple answers each other, with no
database and no clock."""

import random
import uuid
from bisect import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from models.checkin import SCALE_MAX, SCALE_MIN
from models.vocabulary import (
    SIGNS,
    ActivityKind,
    BidKind,
    Channel,
    DistancingSign,
    Response,
    Style,
    effective_response,
)


class Ramp(NamedTuple):
    """A value that moves from `start` to `end` over the simulated span: linearly, or
    with a `curve` above 1 slowly at first and steeply toward the end (below 1, steeply
    at first). Comparisons of the last weeks with the weeks before see a change that
    comes late in a long span; a straight line spreads it too thin."""

    start: float
    end: float
    curve: float = 1.0

    def at(self, elapsed: float) -> float:
        # A straight ramp skips the power, so bids drawn with one stay bit for bit.
        progress = elapsed if self.curve == 1.0 else elapsed**self.curve
        return self.start + (self.end - self.start) * progress


def steady(value: float) -> Ramp:
    return Ramp(value, value)


def both(ramp: Ramp) -> tuple[Ramp, Ramp]:
    return ramp, ramp


# Relative weights of the signs of distancing a partner tends to notice.
SignMix = tuple[tuple[DistancingSign, float], ...]
KindMix = tuple[tuple[ActivityKind, float], ...]

# Every sign alike: what a couple without a pattern notices, now and then.
ANY_SIGN: SignMix = tuple((sign, 1.0) for sign in SIGNS)
# The small misses of a close couple: no contempt, no infidelity.
EVERYDAY: SignMix = (
    (DistancingSign.poor_listening, 3.0),
    (DistancingSign.difficulty_expressing_feelings, 2.0),
    (DistancingSign.different_emotional_needs, 2.0),
    (DistancingSign.communication_breakdown, 1.0),
    (DistancingSign.unresolved_conflicts, 1.0),
    (DistancingSign.preference_for_being_alone, 1.0),
)
# Withdrawal: the signs the source article lists for a couple growing apart.
WITHDRAWAL: SignMix = (
    (DistancingSign.emotional_detachment, 5.0),
    (DistancingSign.preference_for_being_alone, 5.0),
    (DistancingSign.poor_listening, 4.0),
    (DistancingSign.withholding_affection, 4.0),
    (DistancingSign.communication_breakdown, 3.0),
    (DistancingSign.unhappiness, 2.0),
    (DistancingSign.difficulty_expressing_feelings, 2.0),
    (DistancingSign.intimacy_issues, 2.0),
    (DistancingSign.lack_of_empathy, 1.0),
    (DistancingSign.lack_of_support, 1.0),
    (DistancingSign.different_emotional_needs, 1.0),
    (DistancingSign.apathy_during_arguments, 1.0),
)
# Open conflict: criticism that goes unanswered and fights that end nowhere.
CONFLICT: SignMix = (
    (DistancingSign.unresolved_conflicts, 5.0),
    (DistancingSign.communication_breakdown, 4.0),
    (DistancingSign.lack_of_empathy, 3.0),
    (DistancingSign.lack_of_support, 3.0),
    (DistancingSign.unhappiness, 3.0),
    (DistancingSign.poor_listening, 3.0),
    (DistancingSign.apathy_during_arguments, 2.0),
    (DistancingSign.withholding_affection, 2.0),
    (DistancingSign.emotional_detachment, 2.0),
    (DistancingSign.different_emotional_needs, 2.0),
    (DistancingSign.intimacy_issues, 1.0),
    (DistancingSign.difficulty_expressing_feelings, 1.0),
    (DistancingSign.preference_for_being_alone, 1.0),
    (DistancingSign.infidelity, 0.2),
)
# What the pursuer sees in the partner who withdraws.
PURSUED: SignMix = (
    (DistancingSign.preference_for_being_alone, 6.0),
    (DistancingSign.emotional_detachment, 4.0),
    (DistancingSign.poor_listening, 4.0),
    (DistancingSign.withholding_affection, 3.0),
    (DistancingSign.difficulty_expressing_feelings, 3.0),
    (DistancingSign.communication_breakdown, 2.0),
    (DistancingSign.different_emotional_needs, 2.0),
)
# What the one who withdraws sees: being pressed, needs that differ.
PRESSED: SignMix = (
    (DistancingSign.different_emotional_needs, 4.0),
    (DistancingSign.unresolved_conflicts, 3.0),
    (DistancingSign.communication_breakdown, 2.0),
    (DistancingSign.lack_of_empathy, 1.0),
    (DistancingSign.unhappiness, 1.0),
)


@dataclass(frozen=True, slots=True)
class CheckinHabits:
    """How a couple checks in, each value by partner (0, 1) where partners differ."""

    # Chance that the partner checks in on a given local day.
    daily: tuple[Ramp, Ramp]
    # The mean the partner reports, on the 1-10 scales.
    connection: tuple[Ramp, Ramp]
    stress: tuple[Ramp, Ramp]
    # Signs of distancing noticed per check-in, on average, and which ones.
    signs: tuple[Ramp, Ramp]
    sign_mix: tuple[SignMix, SignMix] = (ANY_SIGN, ANY_SIGN)
    # Share of check-ins with a note, and of those notes kept private.
    note_rate: float = 0.2
    private_rate: float = 0.3


@dataclass(frozen=True, slots=True)
class SharedTime:
    """The activities a couple logs together."""

    # Activities a week, both partners' together; a negative value means none.
    per_week: Ramp
    kinds: KindMix
    # Share of activities logged by partner 0.
    logger_share: float = 0.5
    # Weeks at the end (or the start) of the span without any activity, whatever
    # `per_week` says: a couple that stopped (or has not yet started) spending time
    # together.
    none_last_weeks: float = 0.0
    none_first_weeks: float = 0.0
    note_rate: float = 0.3


_SOME_CHECKINS = CheckinHabits(
    daily=both(steady(0.5)),
    connection=both(steady(6.5)),
    stress=both(steady(5.0)),
    signs=both(steady(0.5)),
)
_SOME_SHARED_TIME = SharedTime(
    per_week=steady(1.5),
    kinds=(
        (ActivityKind.date_night, 1.0),
        (ActivityKind.shared_activity, 2.0),
        (ActivityKind.checkin_talk, 1.0),
        (ActivityKind.other, 1.0),
    ),
)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    summary: str
    # Average bids a day over the whole span, both partners together.
    bids_per_day: float
    # Probability that the responder turns toward a bid, indexed by the responding
    # partner (0 or 1). It decides the bid's effective response.
    toward: tuple[Ramp, Ramp]
    # Among bids not turned toward, the share turned against (the rest: away).
    against_share: Ramp
    # When both partners record a view, the probability that they agree.
    agreement: Ramp
    # Share of all bids made by partner 0.
    bidder_share: float = 0.5
    # Share of bids that are repair attempts (more right after a turn against).
    repair_rate: float = 0.03
    # Relative number of bids a day at the start and end of the span; its mean is
    # scaled to 1, so `bids_per_day` stays the span's average.
    activity: Ramp = field(default_factory=lambda: steady(1.0))
    # Check-ins and shared activities, drawn apart from the bids: changing them
    # leaves a profile's bids as they were.
    checkins: CheckinHabits = _SOME_CHECKINS
    together: SharedTime = _SOME_SHARED_TIME

    def toward_probability(self, responder: int, elapsed: float) -> float:
        return self.toward[responder].at(elapsed)


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile(
            name="masters",
            summary="turn toward about 86% of bids (Gottman's couples still married)",
            bids_per_day=10.0,
            toward=(steady(0.86), steady(0.86)),
            against_share=steady(0.08),
            agreement=steady(0.9),
            repair_rate=0.02,
            # Close, calm, checked in on most days, and time together every week: a
            # date night most weeks besides other shared time.
            checkins=CheckinHabits(
                daily=both(steady(0.8)),
                connection=both(steady(8.5)),
                stress=both(steady(3.0)),
                signs=both(steady(0.1)),
                sign_mix=(EVERYDAY, EVERYDAY),
                note_rate=0.25,
            ),
            together=SharedTime(
                per_week=steady(4.0),
                kinds=(
                    (ActivityKind.date_night, 3.0),
                    (ActivityKind.shared_activity, 4.0),
                    (ActivityKind.checkin_talk, 2.0),
                    (ActivityKind.other, 1.0),
                ),
            ),
        ),
        Profile(
            name="disasters",
            summary="turn toward about 33% of bids (Gottman's couples who divorced)",
            bids_per_day=6.0,
            toward=(steady(0.33), steady(0.33)),
            against_share=steady(0.4),
            agreement=steady(0.6),
            repair_rate=0.06,
            checkins=CheckinHabits(
                daily=both(steady(0.25)),
                connection=both(steady(3.5)),
                stress=both(steady(6.5)),
                signs=both(steady(2.0)),
                sign_mix=(CONFLICT, CONFLICT),
                note_rate=0.15,
            ),
            together=SharedTime(
                per_week=steady(0.5),
                kinds=(
                    (ActivityKind.date_night, 1.0),
                    (ActivityKind.shared_activity, 2.0),
                    (ActivityKind.checkin_talk, 1.0),
                    (ActivityKind.other, 3.0),
                ),
            ),
        ),
        Profile(
            name="pursuer_distancer",
            summary="partner 0 makes most bids; partner 1 mostly turns away from them",
            bids_per_day=8.0,
            toward=(steady(0.80), steady(0.35)),
            against_share=steady(0.2),
            agreement=steady(0.7),
            bidder_share=0.75,
            repair_rate=0.04,
            # The pursuer checks in nearly every day and notices the other pulling
            # away; the distancer seldom checks in and feels pressed.
            checkins=CheckinHabits(
                daily=(steady(0.8), steady(0.2)),
                connection=(steady(5.0), steady(6.5)),
                stress=both(steady(4.5)),
                signs=(steady(1.5), steady(0.5)),
                sign_mix=(PURSUED, PRESSED),
            ),
            together=SharedTime(
                per_week=steady(1.5),
                kinds=(
                    (ActivityKind.date_night, 1.0),
                    (ActivityKind.shared_activity, 2.0),
                    (ActivityKind.checkin_talk, 1.0),
                    (ActivityKind.other, 2.0),
                ),
                logger_share=0.85,
            ),
        ),
        Profile(
            name="drifting",
            summary="turning toward falls from about 85% to about 35%",
            bids_per_day=8.0,
            toward=(Ramp(0.85, 0.35), Ramp(0.85, 0.35)),
            against_share=Ramp(0.1, 0.45),
            agreement=Ramp(0.9, 0.65),
            repair_rate=0.03,
            # Bids turned away are followed by fewer bids.
            activity=Ramp(1.15, 0.85),
            # Check-ins thin out; connection falls and the signs of withdrawal pile
            # up, most of it late; stress from outside rises; and shared time fades
            # until it stops, weeks before the end.
            checkins=CheckinHabits(
                daily=both(Ramp(0.85, 0.65)),
                connection=both(Ramp(8.0, 2.0, curve=5.0)),
                stress=both(Ramp(4.0, 9.0, curve=0.7)),
                signs=both(Ramp(0.2, 5.0, curve=6.0)),
                sign_mix=(WITHDRAWAL, WITHDRAWAL),
            ),
            together=SharedTime(
                per_week=Ramp(3.0, 0.5),
                kinds=(
                    (ActivityKind.date_night, 3.0),
                    (ActivityKind.shared_activity, 4.0),
                    (ActivityKind.checkin_talk, 2.0),
                    (ActivityKind.other, 1.0),
                ),
                none_last_weeks=5.5,
            ),
        ),
        Profile(
            name="recovering",
            summary="turning toward rises from about 35% to about 85%",
            bids_per_day=7.0,
            toward=(Ramp(0.35, 0.85), Ramp(0.35, 0.85)),
            against_share=Ramp(0.4, 0.1),
            agreement=Ramp(0.65, 0.9),
            repair_rate=0.07,
            activity=Ramp(0.85, 1.15),
            # Drifting, the other way round: the change comes early, and shared time
            # starts again some weeks in.
            checkins=CheckinHabits(
                daily=both(Ramp(0.5, 0.85)),
                connection=both(Ramp(2.0, 8.0, curve=1 / 5.0)),
                stress=both(Ramp(9.0, 4.0, curve=1 / 0.7)),
                signs=both(Ramp(5.0, 0.2, curve=1 / 6.0)),
                sign_mix=(WITHDRAWAL, WITHDRAWAL),
            ),
            together=SharedTime(
                per_week=Ramp(0.5, 3.0),
                kinds=(
                    (ActivityKind.date_night, 3.0),
                    (ActivityKind.shared_activity, 4.0),
                    (ActivityKind.checkin_talk, 2.0),
                    (ActivityKind.other, 1.0),
                ),
                none_first_weeks=5.5,
            ),
        ),
    )
}

# Where couples live: most of these zones change their clocks, which is what tests
# of day and week boundaries need; Kolkata, Tokyo and São Paulo do not.
TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Madrid",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Tokyo",
)


@dataclass(frozen=True, slots=True)
class SimulatedBid:
    id: uuid.UUID
    bidder: int  # partner 0 or 1; the responder is the other
    occurred_at: datetime
    kind: BidKind
    channel: Channel
    note: str | None
    private: bool
    repair: bool
    bidder_response: Response | None
    bidder_style: Style | None
    responder_response: Response | None
    responder_style: Style | None

    @property
    def responder(self) -> int:
        return 1 - self.bidder

    @property
    def response(self) -> Response | None:
        response = effective_response(self.bidder_response, self.responder_response)
        return None if response is None else Response(response)


@dataclass(frozen=True, slots=True)
class SimulatedCheckin:
    id: uuid.UUID
    partner: int  # 0 or 1
    local_date: date
    # When it was put: the evening of its date, in the couple's time zone.
    at: datetime
    connection: int
    stress: int
    signs: tuple[DistancingSign, ...]  # each once, in the order of `SIGNS`
    note: str | None
    private: bool


@dataclass(frozen=True, slots=True)
class SimulatedActivity:
    id: uuid.UUID
    logged_by: int  # partner 0 or 1
    kind: ActivityKind
    occurred_at: datetime
    duration_minutes: int | None
    note: str | None


@dataclass(frozen=True, slots=True)
class SimulatedCouple:
    profile: Profile
    timezone: str
    start: datetime
    end: datetime
    bids: list[SimulatedBid]
    # By local date, then partner.
    checkins: list[SimulatedCheckin] = field(default_factory=list)
    # By `occurred_at`.
    activities: list[SimulatedActivity] = field(default_factory=list)


T = TypeVar("T")
Weighted = tuple[list[T], list[float]]


def _weights(table: dict[T, float]) -> Weighted[T]:
    """Values and their cumulative weights, for `_pick`."""
    return list(table), list(accumulate(table.values()))


def _pick(rng: random.Random, table: Weighted[T]) -> T:
    values, cumulative = table
    return values[bisect(cumulative, rng.random() * cumulative[-1])]


# Relative frequency of bids by local hour: a morning and an evening peak, few at night.
_WEEKDAY_HOURS = (
    0.2, 0.1, 0.05, 0.05, 0.05, 0.3, 2.0, 4.0, 3.0, 1.2, 1.0, 1.0,
    1.8, 1.2, 0.8, 0.8, 1.0, 2.0, 3.5, 4.5, 4.5, 3.5, 2.0, 0.8,
)  # fmt: skip
_WEEKEND_HOURS = (
    0.5, 0.3, 0.1, 0.05, 0.05, 0.1, 0.4, 1.5, 3.0, 3.5, 3.0, 2.5,
    2.5, 2.0, 2.0, 2.0, 2.0, 2.5, 3.0, 3.5, 3.5, 3.0, 2.0, 1.0,
)  # fmt: skip
_HOURS = (_weights(dict(enumerate(_WEEKDAY_HOURS))), _weights(dict(enumerate(_WEEKEND_HOURS))))
# Weekends carry more bids; the weekly mean stays 1.
_WEEKEND_FACTOR = 1.2
_WEEKDAY_FACTOR = (7 - 2 * _WEEKEND_FACTOR) / 5
# Days apart (travel, night shifts): no bids at all.
_APART_DAYS = 0.03
# Day-to-day variation of the bid rate on top of Poisson noise: gamma, mean 1.
_DAY_SHAPE = 4.0

_KINDS = _weights(
    {
        BidKind.conversation: 18,
        BidKind.attention: 16,
        BidKind.humor: 12,
        BidKind.affection: 12,
        BidKind.interest: 10,
        BidKind.support: 8,
        BidKind.help: 8,
        BidKind.play: 5,
        BidKind.self_disclosure: 5,
        BidKind.intimacy: 4,
        BidKind.other: 2,
    }
)
# A repair attempt is mostly words, a joke or a touch.
_REPAIR_KINDS = _weights(
    {
        BidKind.conversation: 4,
        BidKind.humor: 3,
        BidKind.affection: 3,
        BidKind.support: 2,
        BidKind.other: 1,
    }
)
_CHANNELS = _weights({Channel.verbal: 70, Channel.nonverbal: 18, Channel.written: 12})
_CHANNELS_BY_KIND = {
    BidKind.affection: _weights({Channel.verbal: 30, Channel.nonverbal: 60, Channel.written: 10}),
    BidKind.intimacy: _weights({Channel.verbal: 35, Channel.nonverbal: 60, Channel.written: 5}),
    BidKind.play: _weights({Channel.verbal: 50, Channel.nonverbal: 40, Channel.written: 10}),
    # "Look at this" and memes arrive as messages.
    BidKind.attention: _weights({Channel.verbal: 60, Channel.nonverbal: 15, Channel.written: 25}),
    BidKind.humor: _weights({Channel.verbal: 65, Channel.nonverbal: 10, Channel.written: 25}),
}
_STYLES = {
    Response.toward: _weights(
        {Style.attentive: 4, Style.high_energy: 2, Style.low_energy: 2, Style.passive: 2}
    ),
    Response.away: _weights({Style.preoccupied: 5, Style.disregarding: 3, Style.interrupting: 2}),
    Response.against: _weights(
        {
            Style.critical: 3,
            Style.defensive: 3,
            Style.contradictory: 2,
            Style.belligerent: 1,
            Style.domineering: 1,
            Style.contemptuous: 1,
        }
    ),
}
# The responder's view when it differs from the bidder's: mostly warmer than the
# bidder felt it, as people remember their own answers.
_OTHER_VIEW = {
    Response.toward: _weights({Response.away: 4, Response.against: 1}),
    Response.away: _weights({Response.toward: 3, Response.against: 1}),
    Response.against: _weights({Response.away: 3, Response.toward: 2}),
}
_NOTES: dict[BidKind, tuple[str, ...]] = {
    BidKind.conversation: ("asked how the meeting went", "talked about the weekend", "dinner talk"),
    BidKind.attention: ("look at this sunset", "sent a photo of the dog", "read me the headline"),
    BidKind.humor: ("the cat video", "inside joke from the trip", "silly voice at breakfast"),
    BidKind.affection: ("hug in the kitchen", "hand on my shoulder", "kiss goodbye"),
    BidKind.interest: ("asked about my project", "wanted to hear about the book"),
    BidKind.support: ("rough day at work", "worried about mum", "nervous before the interview"),
    BidKind.help: ("asked for a hand with the shopping", "could you call the plumber?"),
    BidKind.play: ("board game after dinner", "race to the car"),
    BidKind.self_disclosure: ("told me about the dream", "feeling left out at work"),
    BidKind.intimacy: ("early night together",),
    BidKind.other: ("made tea for both of us",),
}
_REPAIR_NOTES = ("said sorry for snapping", "let's start over", "made a joke to break the ice")

_NOTE_RATE = 0.15
_PRIVATE_NOTE_RATE = 0.25
# Nobody recorded how the bid was answered; far more often in the last days, not yet logged.
_PENDING_RATE = 0.03
_RECENT_PENDING_RATE = 0.3
_RECENT = timedelta(days=2)
_BIDDER_RECORDS = 0.85
# The responder also records a view after the bidder did.
_RESPONDER_ALSO_RECORDS = 0.35
_STYLE_RATE = 0.45
# A repair attempt is likelier right after a bid was turned against.
_REPAIR_AFTER_AGAINST = 3.0


def _poisson(rng: random.Random, mean: float) -> int:
    """Events of a unit-rate Poisson process up to `mean`: exact for any mean, and
    costs one draw per event, which suits a few dozen a day."""
    count = 0
    total = rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


def _style(rng: random.Random, response: Response | None) -> Style | None:
    if response is None or rng.random() >= _STYLE_RATE:
        return None
    return _pick(rng, _STYLES[response])


class _Draws:
    """The draws of one simulated couple, day by day."""

    def __init__(
        self, rng: random.Random, profile: Profile, rate: float, start: datetime, end: datetime
    ) -> None:
        self.rng = rng
        self.profile = profile
        self.rate = rate
        self.start = start
        self.end = end
        self.span = (end - start).total_seconds()
        self.activity_mean = (profile.activity.start + profile.activity.end) / 2

    def elapsed(self, moment: datetime) -> float:
        return min(max((moment - self.start).total_seconds() / self.span, 0.0), 1.0)

    def times(self, day: date, zone: ZoneInfo) -> list[datetime]:
        rng = self.rng
        if rng.random() < _APART_DAYS:
            return []
        weekend = day.weekday() >= 5
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=zone)
        activity = self.profile.activity.at(self.elapsed(noon)) / self.activity_mean
        mean = (
            self.rate
            * (_WEEKEND_FACTOR if weekend else _WEEKDAY_FACTOR)
            * activity
            / (1 - _APART_DAYS)
            * rng.gammavariate(_DAY_SHAPE, 1 / _DAY_SHAPE)
        )
        hours = _HOURS[weekend]
        moments = []
        for _ in range(_poisson(rng, mean)):
            hour = _pick(rng, hours)
            # Wall-clock time: in a spring-forward gap, zoneinfo reads it with the
            # offset before the change, which moves it an hour on, past the gap.
            local = datetime(day.year, day.month, day.day, hour, tzinfo=zone) + timedelta(
                seconds=rng.randrange(3600)
            )
            moment = local.astimezone(UTC)
            if self.start <= moment < self.end:
                moments.append(moment)
        moments.sort()
        return moments

    def bid(self, occurred_at: datetime, after_against: bool) -> tuple[SimulatedBid, Response]:
        """A bid, and how it was answered whether or not anyone recorded it."""
        rng = self.rng
        profile = self.profile
        elapsed = self.elapsed(occurred_at)
        bid_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        bidder = 0 if rng.random() < profile.bidder_share else 1
        repair_rate = profile.repair_rate * (_REPAIR_AFTER_AGAINST if after_against else 1.0)
        repair = rng.random() < repair_rate
        kind = _pick(rng, _REPAIR_KINDS if repair else _KINDS)
        channel = _pick(rng, _CHANNELS_BY_KIND.get(kind, _CHANNELS))
        note = None
        private = False
        if rng.random() < _NOTE_RATE:
            note = rng.choice(_REPAIR_NOTES if repair else _NOTES[kind])
            private = rng.random() < _PRIVATE_NOTE_RATE

        # How the bid was answered, as the bidder will see it: the profile's
        # probabilities apply to the effective response.
        if rng.random() < profile.toward_probability(1 - bidder, elapsed):
            answered = Response.toward
        elif rng.random() < profile.against_share.at(elapsed):
            answered = Response.against
        else:
            answered = Response.away

        bidder_view = responder_view = None
        recent = self.end - occurred_at < _RECENT
        if rng.random() >= (_RECENT_PENDING_RATE if recent else _PENDING_RATE):
            if rng.random() < _BIDDER_RECORDS:
                bidder_view = answered
                if rng.random() < _RESPONDER_ALSO_RECORDS:
                    agrees = rng.random() < profile.agreement.at(elapsed)
                    responder_view = answered if agrees else _pick(rng, _OTHER_VIEW[answered])
            else:
                responder_view = answered
        bid = SimulatedBid(
            id=bid_id,
            bidder=bidder,
            occurred_at=occurred_at,
            kind=kind,
            channel=channel,
            note=note,
            private=private,
            repair=repair,
            bidder_response=bidder_view,
            bidder_style=_style(rng, bidder_view),
            responder_response=responder_view,
            responder_style=_style(rng, responder_view),
        )
        return bid, answered


# Check-ins: a partner's day as rated in the evening. A day's mood is shared by both
# partners, on top of each one's own.
_CHECKIN_HOURS = _weights({19: 1.0, 20: 2.0, 21: 3.0, 22: 2.0, 23: 1.0})
_DAY_MOOD_SD = 0.5
_CONNECTION_SD = 0.8
_STRESS_SD = 1.0
_CHECKIN_NOTES = {
    # By how connected the day felt: low, middle, high.
    0: ("we barely talked today", "felt far apart", "hard evening", "went to bed early"),
    1: ("ordinary day", "busy at work, tired", "quiet evening at home", "long commute"),
    2: ("felt close tonight", "good talk over dinner", "laughed a lot", "lovely walk"),
}
# Shared activities: more at the weekend (Monday first), at the hours each kind suits.
_ACTIVITY_DAYS = (0.7, 0.7, 0.8, 0.8, 1.2, 1.6, 1.2)
_ACTIVITY_HOURS = {
    ActivityKind.date_night: (_weights({18: 1.0, 19: 3.0, 20: 2.0}),) * 2,
    ActivityKind.shared_activity: (
        _weights({17: 1.0, 18: 2.0, 19: 1.0}),
        _weights({9: 1.0, 10: 2.0, 11: 2.0, 13: 1.0, 14: 2.0, 15: 2.0, 16: 1.0}),
    ),
    ActivityKind.checkin_talk: (_weights({20: 1.0, 21: 2.0, 22: 1.0}),) * 2,
    ActivityKind.other: (
        _weights({7: 1.0, 8: 1.0, 12: 1.0, 18: 2.0, 19: 2.0}),
        _weights({9: 1.0, 10: 1.0, 11: 1.0, 14: 1.0, 15: 1.0, 16: 1.0, 17: 1.0}),
    ),
}
# Minutes, in steps of five; some activities are logged without a duration.
_DURATIONS = {
    ActivityKind.date_night: (90, 240),
    ActivityKind.shared_activity: (30, 180),
    ActivityKind.checkin_talk: (10, 45),
    ActivityKind.other: (15, 120),
}
_NO_DURATION_RATE = 0.1
_ACTIVITY_NOTES = {
    ActivityKind.date_night: ("dinner at the Italian place", "cinema", "tapas and a walk"),
    ActivityKind.shared_activity: ("cooked together", "long walk by the river", "gardening"),
    ActivityKind.checkin_talk: ("our weekly talk", "talked about the week ahead"),
    ActivityKind.other: ("coffee before work", "groceries together", "visited friends"),
}


def _scale(rng: random.Random, mean: float, spread: float) -> int:
    return min(max(round(rng.gauss(mean, spread)), SCALE_MIN), SCALE_MAX)


def _signs(rng: random.Random, mean: float, mix: SignMix) -> tuple[DistancingSign, ...]:
    """Each sign of the mix noticed or not on its own, with a chance in proportion to
    its weight, so that `mean` are noticed on average (fewer when a sign's chance would
    pass certainty)."""
    total = sum(weight for _, weight in mix)
    noticed = {sign for sign, weight in mix if rng.random() < mean * weight / total}
    return tuple(sign for sign in SIGNS if sign in noticed)


def _local(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """A wall-clock time as an instant; in a spring-forward gap, an hour on (as bids)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def _days(start: datetime, end: datetime, zone: ZoneInfo) -> Iterable[date]:
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def _checkins(
    rng: random.Random, habits: CheckinHabits, draws: _Draws, zone: ZoneInfo
) -> list[SimulatedCheckin]:
    checkins = []
    for day in _days(draws.start, draws.end, zone):
        elapsed = draws.elapsed(_local(day, 12, 0, zone))
        mood = rng.gauss(0.0, _DAY_MOOD_SD)
        for partner in (0, 1):
            # Every draw is made whether or not the check-in happens, so one partner's
            # habits do not move the other's check-ins.
            checks_in = rng.random() < habits.daily[partner].at(elapsed)
            checkin_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            at = _local(day, _pick(rng, _CHECKIN_HOURS), rng.randrange(60), zone)
            connection = _scale(rng, habits.connection[partner].at(elapsed) + mood, _CONNECTION_SD)
            stress = _scale(rng, habits.stress[partner].at(elapsed), _STRESS_SD)
            signs = _signs(rng, habits.signs[partner].at(elapsed), habits.sign_mix[partner])
            note = None
            private = False
            if rng.random() < habits.note_rate:
                note = rng.choice(_CHECKIN_NOTES[(connection >= 5) + (connection >= 8)])
                private = rng.random() < habits.private_rate
            if checks_in and draws.start <= at < draws.end:
                checkins.append(
                    SimulatedCheckin(
                        id=checkin_id,
                        partner=partner,
                        local_date=day,
                        at=at,
                        connection=connection,
                        stress=stress,
                        signs=signs,
                        note=note,
                        private=private,
                    )
                )
    return checkins


def _activities(
    rng: random.Random, together: SharedTime, draws: _Draws, zone: ZoneInfo
) -> list[SimulatedActivity]:
    kinds = _weights({kind: weight for kind, weight in together.kinds if weight > 0})
    first = draws.start + timedelta(weeks=together.none_first_weeks)
    last = draws.end - timedelta(weeks=together.none_last_weeks)
    activities = []
    for day in _days(draws.start, draws.end, zone):
        elapsed = draws.elapsed(_local(day, 12, 0, zone))
        mean = max(together.per_week.at(elapsed), 0.0) / 7 * _ACTIVITY_DAYS[day.weekday()]
        for _ in range(_poisson(rng, mean)):
            activity_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            kind = _pick(rng, kinds)
            hour = _pick(rng, _ACTIVITY_HOURS[kind][day.weekday() >= 5])
            occurred_at = _local(day, hour, 5 * rng.randrange(12), zone)
            low, high = _DURATIONS[kind]
            duration: int | None = 5 * rng.randint(low // 5, high // 5)
            if rng.random() < _NO_DURATION_RATE:
                duration = None
            note = rng.choice(_ACTIVITY_NOTES[kind]) if rng.random() < together.note_rate else None
            logged_by = 0 if rng.random() < together.logger_share else 1
            if first <= occurred_at < last and draws.start <= occurred_at < draws.end:
                activities.append(
                    SimulatedActivity(
                        id=activity_id,
                        logged_by=logged_by,
                        kind=kind,
                        occurred_at=occurred_at,
                        duration_minutes=duration,
                        note=note,
                    )
                )
    activities.sort(key=lambda activity: (activity.occurred_at, activity.id))
    return activities


def simulate(
    profile: str | Profile,
    *,
    seed: int,
    end: datetime,
    weeks: int,
    bids_per_day: float | None = None,
    timezone: str | None = None,
) -> SimulatedCouple:
    """A couple's bids, check-ins and shared activities over the `weeks` before `end`.
    The same arguments always give the same couple, ids included.

    `bids_per_day` replaces the profile's average; `timezone` (an IANA name) the one
    drawn from `TIMEZONES`."""
    if isinstance(profile, str):
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; one of: {', '.join(PROFILES)}")
        profile = PROFILES[profile]
    if end.utcoffset() is None:
        raise ValueError("end must be an aware datetime")
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    rate = profile.bids_per_day if bids_per_day is None else bids_per_day
    if rate < 0:
        raise ValueError("bids_per_day must not be negative")

    # The profile and options are part of the seed, so that couples simulated with one
    # seed (one per profile, in one database) share no bid id. A string seed is hashed
    # with SHA-512, the same in every process.
    key = f"{profile.name}|{seed}|{weeks}|{bids_per_day!r}|{timezone}"
    rng = random.Random(key)
    zone_name = rng.choice(TIMEZONES) if timezone is None else timezone
    zone = ZoneInfo(zone_name)
    end = end.astimezone(UTC)
    start = end - timedelta(weeks=weeks)
    draws = _Draws(rng, profile, rate, start, end)

    bids: list[SimulatedBid] = []
    day = start.astimezone(zone).date()
    last_day = end.astimezone(zone).date()
    while day <= last_day:
        after_against = False
        for moment in draws.times(day, zone):
            bid, answered = draws.bid(moment, after_against)
            after_against = answered is Response.against
            bids.append(bid)
        day += timedelta(days=1)
    bids.sort(key=lambda bid: (bid.occurred_at, bid.id))
    # Streams of their own, so that the bids stay those of the same arguments before
    # check-ins and activities were simulated, and each can be tuned apart.
    checkins = _checkins(random.Random(f"{key}|checkins"), profile.checkins, draws, zone)
    activities = _activities(random.Random(f"{key}|activities"), profile.together, draws, zone)
    return SimulatedCouple(
        profile=profile,
        timezone=zone_name,
        start=start,
        end=end,
        bids=bids,
        checkins=checkins,
        activities=activities,
    )


def turn_toward_rate(bids: Iterable[SimulatedBid], responder: int | None = None) -> float | None:
    """Toward ÷ answered bids by effective response, optionally of one responder;
    None when no bid was answered."""
    toward = answered = 0
    for bid in bids:
        if bid.response is None or (responder is not None and bid.responder != responder):
            continue
        answered += 1
        toward += bid.response is Response.toward
    return toward / answered if answered else None
