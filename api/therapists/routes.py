"""`/therapist`: a therapist's caseload and the figures of each couple in it. Every
read of a couple is in the couple's access log before it is answered."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api.cursor import CursorQuery, LimitQuery
from api.db import Database, DatabaseDep
from api.deps import API_PREFIX
from api.errors import problems
from api.therapists import caseload, export, log
from api.therapists.access import TherapistDep
from api.trends import figures, service
from api.trends.routes import (
    PRIVATE,
    TRENDS_DESCRIPTION,
    EndQuery,
    TrendsCacheDep,
    WeeksQuery,
    json_response,
)
from models.therapist import Caseload
from models.trend import WeeklyTrends

router = APIRouter(prefix="/therapist", tags=["therapist"], responses=problems(503))

_CASELOAD = "/couples"
_TRENDS = "/couples/{couple_id}/trends/weekly"
_EXPORT = "/couples/{couple_id}/export.csv"


def caseload_cache(request: Request) -> caseload.CaseloadCache:
    return request.app.state.caseload_cache  # type: ignore[no-any-return]


CaseloadCacheDep = Annotated[caseload.CaseloadCache, Depends(caseload_cache)]


def _endpoint(path: str) -> str:
    """How the access log names an endpoint."""
    return f"GET {API_PREFIX}{router.prefix}{path}"


@dataclass(frozen=True)
class CoupleRead:
    """A therapist's read of one couple's weekly trends, as its query asks for them."""

    couple_id: uuid.UUID
    therapist_id: uuid.UUID
    database: Database
    cache: service.TrendsCache
    weeks: int
    end: date | None

    async def trends(self, path: str) -> tuple[service.Computed, datetime]:
        """Entered in the access log first: a couple without both grants is a 404."""
        granted = await log.record_read(
            self.database,
            self.couple_id,
            self.therapist_id,
            _endpoint(path),
            weeks=self.weeks,
            end=self.end,
        )
        return await service.weekly_trends(
            self.database, self.cache, self.couple_id, granted, weeks=self.weeks, end=self.end
        )


async def couple_read(
    couple_id: uuid.UUID,
    therapist: TherapistDep,
    database: DatabaseDep,
    cache: TrendsCacheDep,
    weeks: WeeksQuery = figures.DEFAULT_WEEKS,
    end: EndQuery = None,
) -> CoupleRead:
    return CoupleRead(couple_id, therapist.id, database, cache, weeks, end)


CoupleReadDep = Annotated[CoupleRead, Depends(couple_read)]


@router.get(
    _CASELOAD,
    responses=problems(401, 403, 422),
    description="The couples whose two partners have both granted the caller access, "
    "highest `risk` first (ties by `couple_id`), `limit` at a time (1 to 200, default "
    "50); pass `next_cursor` back as `cursor` for the next page (null on the last). A "
    "couple whose risk changed between two pages may show on both or on neither. Each "
    "couple's `direction`, `flags` and `pursuer_distancer` are those of its default "
    "trends read (the 12 weeks up to today); `last_week` is the last whole week before "
    "this one and `last_4_weeks` the four whole weeks that end with it. "
    "`last_activity_on` is the local date of the couple's latest bid (a date, not a "
    "time: no more than the dashboard needs). `turn_toward_rate_4w` is that of the "
    "summary: the 4 weeks to this one, the current week so far included. `risk` (0 to 100) "
    "adds up `risk_factors`: the turn-toward rate of the last 4 weeks between the "
    "research benchmarks, a declining direction, and each flag; docs/metrics.md has "
    "the rules. Only partners' display names and figures: no note or other text a "
    "partner wrote. Every couple on the page is entered in its access log. Partner "
    "accounts get 403.",
)
async def list_caseload(
    therapist: TherapistDep,
    database: DatabaseDep,
    cache: CaseloadCacheDep,
    response: Response,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Caseload:
    items, next_cursor = await caseload.caseload(
        database, cache, therapist.id, cursor=cursor, limit=limit
    )
    response.headers.update(PRIVATE)
    await log.record_listed(
        database, [item.couple_id for item in items], therapist.id, _endpoint(_CASELOAD)
    )
    return Caseload(items=items, next_cursor=next_cursor)


@router.get(
    _TRENDS,
    response_model=WeeklyTrends,
    responses=problems(401, 403, 404, 422),
    description="The couple's weekly trends, in the same shape and with the same "
    "parameters as the partners' `GET /couples/{couple_id}/trends/weekly`: aggregates "
    "only, no free text. A couple without both partners' grants for the caller is a "
    "404, as is one that does not exist; the read is entered in the couple's access "
    "log. Figures that join the partners' weeks later (check-ins, activities) join "
    "these as the same aggregates, never with their notes. " + TRENDS_DESCRIPTION,
)
async def couple_trends(read: CoupleReadDep) -> Response:
    computed, now = await read.trends(_TRENDS)
    return json_response(computed.render(now))


@router.get(
    _EXPORT,
    response_class=Response,
    responses={
        **problems(401, 403, 404, 422),
        200: {"content": {"text/csv": {}}, "description": "One row per week"},
    },
    description="The weeks of the couple's trends as CSV (`weeks` and `end` as in the "
    "trends): a header row, then one row per week, oldest first. Columns are named by "
    "their path in the trends' JSON (`week_start`, `bids`, ..., "
    "`by_partner.<partner id>.toward`); rates are unrounded fractions and an empty cell "
    "is a null. Figures that join the weekly trends later join as further columns. "
    "Access and the access log as for the trends.",
)
async def export_csv(read: CoupleReadDep) -> Response:
    computed, _ = await read.trends(_EXPORT)
    weeks = computed.trends.weeks
    name = f"toward-{read.couple_id}-{weeks[-1]['week_start']}.csv"
    return Response(
        export.weeks_csv(weeks),
        media_type="text/csv; charset=utf-8",
        headers={
            **PRIVATE,
            # A download of a couple's figures: nothing on the way keeps a copy.
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )
