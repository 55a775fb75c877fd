"""The query parameters of a trends read, shared by every route that serves trends:
the partners' and the therapist's."""

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request
from pydantic import AfterValidator

from api.core.db import Database
from api.trends import service
from api.trends.memory import TrendsCache
from models.types import LocalDate


async def trends_cache(request: Request) -> TrendsCache:
    return request.app.state.trends_cache  # type: ignore[no-any-return]


TrendsCacheDep = Annotated[TrendsCache, Depends(trends_cache)]


@dataclass(frozen=True, slots=True)
class TrendsReading:
    """What a partner's trends read uses, in one dependency: FastAPI's cost is per
    dependency, and this read is the one apps repeat after every write."""

    database: Database
    cache: TrendsCache
    known: service.KnownStates


async def trends_reading(request: Request) -> TrendsReading:
    state = request.app.state
    return TrendsReading(state.database, state.trends_cache, state.known_states)


TrendsReadingDep = Annotated[TrendsReading, Depends(trends_reading)]

EARLIEST_END, LATEST_END = date(1900, 1, 1), date(2999, 12, 31)


def _within_range(day: date | None) -> date | None:
    # A validator, not `ge`/`le`: those would leak into the OpenAPI schema as keywords
    # that no JSON Schema validator knows for a date.
    if day is not None and not EARLIEST_END <= day <= LATEST_END:
        raise ValueError(f"must be between {EARLIEST_END} and {LATEST_END}")
    return day


WeeksQuery = Annotated[
    int, Query(ge=1, le=104, description="How many weeks, 1 to 104, oldest first.")
]
EndQuery = Annotated[
    LocalDate | None,
    AfterValidator(_within_range),
    Query(
        description="A local date, YYYY-MM-DD (1900-01-01 to 2999-12-31); the last "
        "week is the one holding it. Default: today in the couple's time zone.",
    ),
]


# The fields' own descriptions (models/trend.py) say what each part of the answer holds.
TRENDS_DESCRIPTION = (
    "The couple's figures per calendar week, oldest first: `weeks` weeks (1 to 104, "
    "default 12) ending with the week that holds `end`. Weeks start on the couple's "
    "`week_starts`; a bid counts in the week of its `occurred_at` in the couple's time "
    "zone, by its effective response (the bidder's view, else the responder's). The "
    "`ETag` changes exactly when a figure of the answer does: `If-None-Match` with the "
    "one held gives a 304 until then. A write through the same server process shows at "
    "once; one through another process of the deployment, as soon as that process is "
    "notified of its commit (a millisecond or so)."
)
