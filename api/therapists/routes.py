"""`/therapist`: a therapist's caseload and the figures of each couple in it. Every
read of a couple is in the couple's access log before it is answered."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api.core.cursor import CursorQuery, LimitQuery
from api.core.db import DatabaseDep
from api.core.deps import API_PREFIX
from api.core.errors import problems
from api.core.responses import PRIVATE, private_json
from api.therapists import export, service
from api.therapists.access import TherapistDep
from api.therapists.ranking import CaseloadMemory
from api.trends.params import TRENDS_DESCRIPTION, EndQuery, TrendsCacheDep, WeeksQuery
from api.trends.service import Computed
from models import figures
from models.therapist import Caseload
from models.trend import WeeklyTrends

router = APIRouter(prefix="/therapist", tags=["therapist"], responses=problems(503))

_CASELOAD = "/couples"
_TRENDS = "/couples/{couple_id}/trends/weekly"
_EXPORT = "/couples/{couple_id}/export.csv"


async def caseload_memory(request: Request) -> CaseloadMemory:
    return request.app.state.caseload_memory  # type: ignore[no-any-return]


CaseloadMemoryDep = Annotated[CaseloadMemory, Depends(caseload_memory)]


def _endpoint(path: str) -> str:
    """How the access log names an endpoint."""
    return f"GET {API_PREFIX}{router.prefix}{path}"


Read = tuple[Computed, datetime]


def _trends_read(path: str) -> Callable[..., Awaitable[Read]]:
    """The read of one couple's trends that `path` serves, entered in its access log
    under that path."""

    async def read(
        couple_id: uuid.UUID,
        therapist: TherapistDep,
        database: DatabaseDep,
        cache: TrendsCacheDep,
        weeks: WeeksQuery = figures.DEFAULT_WEEKS,
        end: EndQuery = None,
    ) -> Read:
        return await service.couple_trends(
            database, cache, couple_id, therapist.id, _endpoint(path), weeks=weeks, end=end
        )

    return read


@router.get(
    _CASELOAD,
    response_model=Caseload,
    responses=problems(401, 403, 422),
    description="The couples whose two partners have both granted the caller access, "
    "and which the caller accepted (`POST /therapist/invitations/{couple_id}/accept`; "
    "`access_since` is when), highest `risk` first (ties by `couple_id`), `limit` at a "
    "time (1 to 200, default 50); pass `next_cursor` back as `cursor` for the next page "
    "(null on the last). A couple "
    "whose risk changed between two pages may show on both or on neither. Every couple "
    "on the page is entered in its access log before the page is answered, and only one "
    "whose access still stands: a couple whose access ends while the page is read is "
    "left out of it, so a page may hold fewer than `limit` couples and still have a "
    "`next_cursor`. Partner accounts get 403.",
)
async def list_caseload(
    therapist: TherapistDep,
    database: DatabaseDep,
    memory: CaseloadMemoryDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Response:
    # Serialised once, as built: a page of 200 couples is some 400 KB, which FastAPI
    # would otherwise turn into dicts and validate again before serialising.
    page = await service.caseload_page(
        database, memory, therapist.id, _endpoint(_CASELOAD), cursor=cursor, limit=limit
    )
    return private_json(page.body, etag=page.tag)


@router.get(
    _TRENDS,
    response_model=WeeklyTrends,
    responses=problems(401, 403, 404, 422),
    description="The couple's weekly trends, in the same shape and with the same "
    "parameters as the partners' `GET /couples/{couple_id}/trends/weekly`: aggregates "
    "only, no free text. A couple without both partners' grants for the caller, or one "
    "the caller has not accepted (awaiting its answer, or declined), is a 404, as is one "
    "that does not exist; the read is entered in the couple's access log. Figures that "
    "join the partners' weeks later (check-ins, activities) join these as the same "
    "aggregates, never with their notes. " + TRENDS_DESCRIPTION,
)
async def couple_trends(read: Annotated[Read, Depends(_trends_read(_TRENDS))]) -> Response:
    computed, now = read
    return private_json(*computed.representation(now))


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
async def export_csv(
    couple_id: uuid.UUID, read: Annotated[Read, Depends(_trends_read(_EXPORT))]
) -> Response:
    computed, _ = read
    rows = computed.trends.weeks
    name = f"toward-{couple_id}-{rows[-1]['week_start']}.csv"
    return Response(
        export.weeks_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            **PRIVATE,
            # A download of a couple's figures: nothing on the way keeps a copy.
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )
