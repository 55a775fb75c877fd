"""A therapist's caseload ranked: each couple's risk and entry, the ranking as of one
moment with its pages, and the rankings a worker holds (CaseloadMemory)."""

import bisect
import functools
import json
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from api.core import cursor as cursors
from api.core.cache import LRUCache
from api.core.conditional import content_tag
from api.core.notices import ChangeClock
from api.therapists import risk
from api.therapists.readings import ListedCouple, Period, Readings, ReadingsKey
from models import calendar, figures
from models.couple import Weights
from models.therapist import CaseloadCouple, PeriodFigures, RiskFactor
from models.trend import Flag
from models.vocabulary import WeekStart


def _period(first: date, last: date, total: "Period", weights: Weights) -> PeriodFigures:
    return PeriodFigures(
        first_week=first,
        last_week=last,
        **figures.counted(total.bids, weights),
        checkins=figures.checkin_figures(total.checkins),
        activities=figures.activity_figures(total.activities),
    )


@dataclass(frozen=True)
class Ranked:
    """A couple's readings as of now, and its risk: what ranks it."""

    couple: ListedCouple
    readings: Readings
    this_week: date
    flags: list[Flag]
    risk: int
    factors: list[RiskFactor]

    @classmethod
    def of(
        cls, couple: ListedCouple, readings: Readings, this_week: date, now: datetime
    ) -> "Ranked":
        # The window ends with this week, which holds now: the quiet spell runs to now.
        quiet = figures.quiet(couple.last_bid_at, couple.created_at, now)
        flags = [*readings.summary.flags, *([quiet] if quiet is not None else [])]
        score, factors = risk.score(readings.recent, readings.summary, flags)
        return cls(couple, readings, this_week, flags, score, factors)

    @property
    def rank(self) -> tuple[int, uuid.UUID]:
        return -self.risk, self.couple.couple_id


def _entry(ranked: Ranked) -> CaseloadCouple:
    couple, readings, this_week = ranked.couple, ranked.readings, ranked.this_week
    summary = readings.summary
    last_week = this_week - calendar.WEEK
    return CaseloadCouple(
        couple_id=couple.couple_id,
        partners=couple.partners,
        timezone=couple.timezone,
        week_starts=WeekStart(couple.week_starts),
        weights=couple.weights,
        access_since=couple.access_since,
        last_activity_on=(
            None
            if couple.last_bid_at is None
            else calendar.local_date(couple.last_bid_at, couple.timezone)
        ),
        turn_toward_rate_4w=summary.turn_toward_rate_4w,
        last_week=_period(last_week, last_week, readings.last_week, couple.weights),
        last_4_weeks=_period(
            last_week - 3 * calendar.WEEK, last_week, readings.last_4_weeks, couple.weights
        ),
        direction=summary.direction,
        turn_toward_change=summary.turn_toward_change,
        pursuer_distancer=summary.pursuer_distancer,
        flags=ranked.flags,
        risk=ranked.risk,
        risk_factors=ranked.factors,
    )


def rank(
    couples: Sequence[ListedCouple],
    readings: dict[uuid.UUID, Readings],
    weeks: dict[uuid.UUID, date],
    now: datetime,
    mark: int | None,
) -> "Ranking":
    ranked = sorted(
        (
            Ranked.of(couple, readings[couple.couple_id], weeks[couple.couple_id], now)
            for couple in couples
        ),
        key=lambda entry: entry.rank,
    )
    until = min(
        [
            calendar.next_quarter_hour(now),
            *(figures.quiet_until(c.last_bid_at, c.created_at, now) for c in couples),
        ]
    )
    return Ranking(ranked, mark, until)


# The pages of one ranking kept with it: a dashboard asks for the same few.
_PAGES_KEPT = 8


class Ranking:
    """A therapist's whole caseload, ranked as of one moment: the same until
    `valid_until` (a new local date, a `not-logging` flag that comes or moves on) but for
    what changes in the database, which a ranking `mark`ed by the change clock tells
    (CaseloadMemory)."""

    def __init__(self, ranked: list[Ranked], mark: int | None, valid_until: datetime) -> None:
        self.ranked = ranked
        self.mark = mark
        self.valid_until = valid_until
        self.couple_ids = [entry.couple.couple_id for entry in ranked]
        self._ranks = [entry.rank for entry in ranked]
        self._entries: dict[uuid.UUID, bytes] = {}
        self._pages: LRUCache[tuple[tuple[int, uuid.UUID] | None, int], Page] = LRUCache(
            _PAGES_KEPT
        )

    def page(self, after: tuple[int, uuid.UUID] | None, limit: int) -> "Page":
        """The `limit` couples ranked after `after` (a position in this or any earlier
        ranking: a couple whose risk changed between two pages may show on both or on
        neither)."""
        found = self._pages.get((after, limit))
        if found is None:
            first = 0 if after is None else bisect.bisect_right(self._ranks, (-after[0], after[1]))
            shown = self.ranked[first : first + limit]
            next_cursor = None
            if first + limit < len(self.ranked):
                last = shown[-1]
                next_cursor = cursors.encode_rank(last.risk, last.couple.couple_id)
            found = Page(
                [entry.couple.couple_id for entry in shown],
                [self._entry(entry) for entry in shown],
                next_cursor,
            )
            self._pages.put((after, limit), found)
        return found

    def _entry(self, ranked: Ranked) -> bytes:
        couple_id = ranked.couple.couple_id
        body = self._entries.get(couple_id)
        if body is None:
            body = self._entries[couple_id] = _entry(ranked).model_dump_json().encode()
        return body


@dataclass(frozen=True)
class Page:
    """A page of a ranking: its couples, and each one's entry as JSON."""

    couple_ids: list[uuid.UUID]
    entries: list[bytes]
    next_cursor: str | None

    def without(self, hidden: set[uuid.UUID]) -> "Page":
        kept = [index for index, couple_id in enumerate(self.couple_ids) if couple_id not in hidden]
        return Page(
            [self.couple_ids[index] for index in kept],
            [self.entries[index] for index in kept],
            self.next_cursor,
        )

    # Joined on each answer, not kept: the pages a ranking keeps hold its entries'
    # bytes, not copies of them.
    @property
    def body(self) -> bytes:
        """`Caseload` as JSON, made of the entries as they are."""
        return b"".join(
            (
                b'{"items":[',
                b",".join(self.entries),
                b'],"next_cursor":',
                json.dumps(self.next_cursor).encode(),
                b"}",
            )
        )

    @functools.cached_property
    def tag(self) -> str:
        return content_tag(self.body)


class CaseloadMemory:
    """What this worker computed of caseloads. Each couple's readings, by everything
    they depend on (ReadingsKey, read on every computation). And each therapist's
    ranking, trusted with no statement until its `valid_until` while nothing of the
    therapist's grants or answers (alembic/versions/0009, 0012) or of any couple in it
    has been heard since before it was read (api/core/notices.py): never on SQLite,
    which has no notices. A couple whose access ended is never shown from memory: the
    access log's entry, which checks the grants and the answer, comes first
    (api/therapists/service.py). Rankings held count against `size` by their couples."""

    def __init__(self, clock: ChangeClock | None, size: int) -> None:
        self.clock = clock
        self.size = size
        self.readings: LRUCache[ReadingsKey, Readings] = LRUCache(size)
        self._held: OrderedDict[uuid.UUID, Ranking] = OrderedDict()
        self._holding = 0

    def mark(self) -> int | None:
        return None if self.clock is None else self.clock.mark()

    def held(self, therapist_id: uuid.UUID, now: datetime) -> Ranking | None:
        ranking = self._held.get(therapist_id)
        if ranking is None:
            return None
        if not self._unchanged(therapist_id, ranking) or now >= ranking.valid_until:
            self.forget(therapist_id)
            return None
        self._held.move_to_end(therapist_id)
        return ranking

    def _unchanged(self, therapist_id: uuid.UUID, ranking: Ranking) -> bool:
        clock, mark = self.clock, ranking.mark
        if clock is None or mark is None or not clock.unchanged(therapist_id, mark):
            return False
        if clock.mark() == mark:
            return True  # nothing at all heard since
        return all(clock.unchanged(couple_id, mark) for couple_id in ranking.couple_ids)

    def hold(self, therapist_id: uuid.UUID, ranking: Ranking) -> None:
        self.forget(therapist_id)
        if ranking.mark is None or not ranking.ranked or len(ranking.ranked) > self.size:
            return
        self._held[therapist_id] = ranking
        self._holding += len(ranking.ranked)
        while self._holding > self.size:
            _, forgotten = self._held.popitem(last=False)
            self._holding -= len(forgotten.ranked)

    def forget(self, therapist_id: uuid.UUID) -> None:
        forgotten = self._held.pop(therapist_id, None)
        if forgotten is not None:
            self._holding -= len(forgotten.ranked)
