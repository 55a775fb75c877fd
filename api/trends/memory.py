"""What a worker remembers of the trends it computed (api/trends/service.py).

- Whole answers, keyed by everything they depend on (`TrendsKey`): a read of a version
  of a couple's figures computed before is answered from memory.
- For each window read (couple, weeks, last week, reader), the parts of its last
  computation (`Basis`): what each week's rollup rows made, the week's figures, where
  its JSON is in the answer, and the snapshot its rows were read in. A read after a
  write reads again only the weeks written since that snapshot (PostgreSQL; on
  SQLite, every week, compared with the rows kept), and makes figures and JSON only
  of the weeks written and of the weeks after them (the balance runs on): for a bid
  logged now, the current week alone.
- Computations running: concurrent reads of the same version share one.

With a size of 0 (`TRENDS_CACHE_SIZE`) nothing is remembered or shared: each read
computes every week, as the first read of a window does."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from pydantic import TypeAdapter

from api.core.cache import LRUCache, Shared
from models import figures
from models.figures import ActivityTally, CheckinTally, RollupRow, Tally
from models.trend import Flag, WeekFigures, WeeklyTrends


class Version(NamedTuple):
    """Everything a couple's figures depend on but the rollup rows: computed trends
    stay good while it stays the same."""

    timezone: str
    week_starts: str
    weights: tuple[int, int, int]
    settings_changed_at: datetime
    partners: tuple[uuid.UUID, ...]
    bid_writes: int | None  # `bid_versions.version`: None before the first bid


# A read's couple, figures version, number of weeks, last week, and the partner reading
# (None for a granted read): partners count different check-ins (the reveal rule).
TrendsKey = tuple[uuid.UUID, Version, int, date, uuid.UUID | None]
# The same without the version: a window whose figures a write may have changed.
WindowKey = tuple[uuid.UUID, int, date, uuid.UUID | None]


# One rollup row as a read compares it: its source, week, responder and values.
RawRow = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Made:
    """What one week's rollup rows make: its bids' rows (one per responder) and their
    sum, and its check-ins' and activities' tallies (None: the week has none)."""

    bids: list[RollupRow]
    tally: Tally
    checkins: CheckinTally | None
    activities: ActivityTally | None


@dataclass(frozen=True, slots=True)
class Week:
    """One week of a computation: its rollup rows as read (in the statement's order;
    kept only where no snapshot tells which weeks were written since, SQLite), what
    they made, its figures, and where their JSON is in the answer's body when the week
    is in the answer."""

    rows: tuple[RawRow, ...] | None
    made: Made
    figures: WeekFigures
    span: tuple[int, int] | None


@dataclass(frozen=True)
class Basis:
    """The weeks of a window's last computation and its answer's body, and what every
    week's figures there depend on besides its own rows: the couple's calendar,
    weights and partners (a `Version` without its count of writes), the weeks read and
    the totals before them (the balance starts from those)."""

    context: tuple[Any, ...]
    weeks: dict[date, Week]
    body: bytes  # the computed answer's own: no copy
    # The snapshot its rows were read in (PostgreSQL's `pg_current_snapshot()`; None on
    # SQLite): a read after it reads only the weeks written since.
    snapshot: str | None = None

    def json_of(self, week: Week) -> bytes:
        """The week's JSON, as the last answer holds it."""
        if week.span is None:
            return week_json(week.figures)
        start, end = week.span
        return self.body[start:end]


@dataclass(frozen=True)
class Computed:
    """A couple's trends for one window, but for what the passing of time changes:
    the `not-logging` flag is decided on each request."""

    trends: WeeklyTrends
    body: bytes
    tag: str  # of `body`, kept with it: a served read does not hash 40 KB again
    last_bid_at: datetime | None
    couple_since: datetime
    window_end: datetime

    def flags_at(self, now: datetime) -> list[Flag]:
        """The summary's flags as of `now`: `not-logging` last, when it applies."""
        quiet = figures.quiet(self.last_bid_at, self.couple_since, min(now, self.window_end))
        flags = self.trends.summary.flags
        return flags if quiet is None else [*flags, quiet]

    def representation(self, now: datetime) -> tuple[bytes, str | None]:
        """The body as of `now`, and its tag when it is the one computed (None: the
        `not-logging` flag changed it since, and its tag is its own)."""
        flags = self.flags_at(now)
        if flags is self.trends.summary.flags:
            return self.body, self.tag
        flagged = self.trends.summary.model_copy(update={"flags": flags})
        body = self.trends.model_copy(update={"summary": flagged}).model_dump_json().encode()
        return body, None


class TrendsCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self.computed: LRUCache[TrendsKey, Computed] = LRUCache(size)
        self.bases: LRUCache[WindowKey, Basis] = LRUCache(size)
        self.running: Shared[TrendsKey, Computed] = Shared()


_WEEK = TypeAdapter(WeekFigures)


def week_json(week: WeekFigures) -> bytes:
    """A week's figures as the answer's JSON holds them."""
    return _WEEK.dump_json(week)


_WEEKS_MARK = b'"weeks":[]'


def trends_body(
    trends: WeeklyTrends, weeks: Sequence[bytes]
) -> tuple[bytes, list[tuple[int, int] | None]]:
    """`trends.model_dump_json()`, with the JSON of its weeks given rather than
    encoded again (tests/trends/test_memory.py holds the two equal); and where each
    week's JSON is in it."""
    empty = trends.model_copy(update={"weeks": []}).model_dump_json().encode()
    before, mark, after = empty.partition(_WEEKS_MARK)
    if not mark or _WEEKS_MARK in after:
        return trends.model_dump_json().encode(), [None] * len(weeks)
    opening = before + b'"weeks":['
    spans: list[tuple[int, int] | None] = []
    at = len(opening)
    for week in weeks:
        spans.append((at, at + len(week)))
        at += len(week) + 1
    return b"".join((opening, b",".join(weeks), b"]", after)), spans
