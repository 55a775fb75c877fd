"""`/couples/{couple_id}/checkins`: each partner's check-ins."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from api.checkins import service
from api.core.conditional import IfMatch, IfNoneMatch
from api.core.cursor import CursorQuery, LimitQuery
from api.core.db import Transaction
from api.core.deps import CallerDep
from api.core.errors import problems
from api.core.responses import PRIVATE
from api.core.sql import Record
from api.couples.access import REFUSED_WHEN_DISSOLVED, CouplePartners, OpenCouplePartners
from models.checkin import CheckinPage, CheckinPublic, CheckinPut
from models.types import LocalDate

router = APIRouter(
    prefix="/couples/{couple_id}/checkins", tags=["check-ins"], responses=problems(503)
)

DatePath = Annotated[
    LocalDate,
    Path(description="A local date of the couple, YYYY-MM-DD.", examples=["2026-05-01"]),
]
SinceQuery = Annotated[
    LocalDate | None, Query(description="The first date listed, YYYY-MM-DD (inclusive).")
]
UntilQuery = Annotated[
    LocalDate | None, Query(description="The date the list stops before, YYYY-MM-DD (exclusive).")
]


def _validators(row: Record) -> dict[str, str]:
    """ETag and caching headers: a check-in is its author's view; no shared cache may
    keep it, and a private cache keeps one copy per login."""
    return {"ETag": service.etag(row), **PRIVATE}


def _viewed(row: Record, viewer_id: uuid.UUID, response: Response) -> CheckinPublic:
    response.headers.update(_validators(row))
    return service.to_public(row, viewer_id)


@router.put(
    "/{date}",
    response_model=CheckinPublic,
    responses={
        201: {
            "model": CheckinPublic,
            "description": "A new check-in: none for that date before, or it had been deleted",
        },
        **problems(401, 404, 409, 412, 422),
    },
    description="Put the caller's check-in for a local date of the couple: 201 when there "
    "was none (a deleted one comes back under its old id), 200 when it replaces the "
    "caller's check-in for that date. A put replaces every field: a field left out takes "
    "its default (no signs, no note, not private). `date` runs from 1900-01-01 to one "
    "day after today in the couple's time zone. `signs` come back in the order of the "
    "14 codes, not as sent. Send `If-Match` with the ETag you read to refuse the write "
    "(412) if the check-in changed since, or if there is no live check-in for that date "
    "any more; without it the put is unconditional. A couple whose second partner has "
    "not joined yet may check in. The partner's check-in for a date shows to the caller "
    "only once the caller has checked in for it; the caller may still change theirs "
    "afterwards, and the partner sees when by its `updated_at` (nothing is locked)."
    + REFUSED_WHEN_DISSOLVED,
)
async def put_checkin(
    couple_id: uuid.UUID,
    date: DatePath,
    body: CheckinPut,
    response: Response,
    caller: CallerDep,
    _partners: OpenCouplePartners,
    conn: Transaction,
    if_match: IfMatch = None,
) -> CheckinPublic:
    row, created = await service.put_checkin(conn, couple_id, caller.id, date, body, if_match)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return _viewed(row, caller.id, response)


@router.get(
    "",
    response_model=CheckinPage,
    responses=problems(401, 404, 422),
    description="The caller's own check-ins, and the partner's for the dates on which the "
    "caller has a check-in too (so that nobody anchors on the other's answer): deleting "
    "one's own check-in hides the partner's for that date again. A private note shows "
    "only to its author; the partner gets `note: null` and `private: true`. Newest date "
    "first, and on one date by partner id, descending. `since` is inclusive and `until` "
    "exclusive; `partner_id` keeps one partner's check-ins. Pass `next_cursor` back as "
    "`cursor` for the next page; it is null on the last page. Keep the same filters while "
    "paging.",
)
async def list_checkins(
    couple_id: uuid.UUID,
    caller: CallerDep,
    _partners: CouplePartners,
    conn: Transaction,
    response: Response,
    since: SinceQuery = None,
    until: UntilQuery = None,
    partner_id: Annotated[
        uuid.UUID | None, Query(description="Only this partner's check-ins.")
    ] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> CheckinPage:
    items, next_cursor = await service.list_checkins(
        conn,
        couple_id,
        caller.id,
        since=since,
        until=until,
        partner_id=partner_id,
        cursor=cursor,
        limit=limit,
    )
    response.headers.update(PRIVATE)
    return CheckinPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{date}",
    response_model=CheckinPublic,
    responses={
        304: {"description": "Not modified since the `If-None-Match` ETag"},
        **problems(401, 404, 422),
    },
    description="The caller's own check-in for that date, with its `ETag` (to send as "
    "`If-Match` on a put or delete); 404 when there is none or it was deleted. The "
    "partner's check-ins are read through the list. `If-None-Match` with the current "
    "ETag gives 304.",
)
async def read_checkin(
    couple_id: uuid.UUID,
    date: DatePath,
    response: Response,
    caller: CallerDep,
    _partners: CouplePartners,
    conn: Transaction,
    if_none_match: IfNoneMatch = None,
) -> CheckinPublic | Response:
    row, held = await service.read_checkin(conn, couple_id, caller.id, date, if_none_match)
    if held:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=_validators(row))
    return _viewed(row, caller.id, response)


@router.delete(
    "/{date}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 404, 412, 422),
    description="Delete the caller's own check-in for that date (404 when there is none). "
    "It stays as a tombstone without its note, for offline sync, and counts in no figure; "
    "putting the date again brings it back under the same id. `If-Match` as on a put.",
)
async def delete_checkin(
    couple_id: uuid.UUID,
    date: DatePath,
    caller: CallerDep,
    _partners: CouplePartners,
    conn: Transaction,
    if_match: IfMatch = None,
) -> Response:
    await service.delete_checkin(conn, couple_id, caller.id, date, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
