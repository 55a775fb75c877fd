"""`/couples/{couple_id}/activities`: log, list, read, change, delete shared activities."""

import uuid

from fastapi import APIRouter, Response, status

from api.activities import service
from api.core.conditional import IfMatch, IfNoneMatch
from api.core.cursor import CursorQuery, LimitQuery
from api.core.db import Transaction
from api.core.deps import CallerDep
from api.core.errors import problems
from api.core.responses import PRIVATE, batch_answer
from api.core.sql import Record
from api.couples.access import REFUSED_WHEN_DISSOLVED, CouplePartners, OpenCouplePartners
from models.activity import (
    ActivityBatch,
    ActivityBatchItem,
    ActivityBatchResult,
    ActivityCreate,
    ActivityPage,
    ActivityPublic,
    ActivityUpdate,
)
from models.bid import Instant
from models.vocabulary import ActivityKind

router = APIRouter(
    prefix="/couples/{couple_id}/activities", tags=["activities"], responses=problems(503)
)


def _validators(row: Record) -> dict[str, str]:
    """ETag and caching headers: no shared cache may keep a couple's activity, and a
    private cache keeps one copy per login."""
    return {"ETag": service.etag(row), **PRIVATE}


def _viewed(row: Record, response: Response) -> ActivityPublic:
    response.headers.update(_validators(row))
    return service.to_public(row)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ActivityPublic,
    responses={
        200: {
            "model": ActivityPublic,
            "description": "A replay of an earlier create: the stored activity, nothing new "
            "written",
        },
        **problems(401, 404, 409, 422),
    },
    description="Log a shared activity (a date night, a shared activity, a check-in talk "
    "or another kind of time together). Either partner may log one, and so may the first "
    "partner of a couple whose second partner has not joined yet. Send a client-chosen "
    "`id` to make the create safe to retry: the same caller sending the same `id` to the "
    "same couple with the same body once parsed (defaults spelled out or left out, the "
    "same instant in any offset, 60 and 60.0 minutes) gets 200 and the stored activity; "
    "any other create with an existing `id`, a deleted activity's or another couple's "
    "included, is a 409 `id-conflict`. `occurred_at` is required: any time from 1900 on, "
    "up to 5 minutes ahead. `duration_minutes` is a whole number from 1 to 1440 (a day), "
    "or left out when unknown; it then adds nothing to the weekly minutes. The note is "
    "seen by both partners: activities are shared, so there is no private flag."
    + REFUSED_WHEN_DISSOLVED,
)
async def create_activity(
    couple_id: uuid.UUID,
    body: ActivityCreate,
    response: Response,
    caller: CallerDep,
    _partners: OpenCouplePartners,
    conn: Transaction,
) -> ActivityPublic:
    row, created = await service.create_activity(conn, couple_id, caller.id, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _viewed(row, response)


@router.post(
    ":batch",
    status_code=status.HTTP_201_CREATED,
    response_model=ActivityBatchResult,
    responses={
        200: {
            "model": ActivityBatchResult,
            "description": "Every item a replay of an earlier create: nothing new written",
        },
        **problems(401, 404, 409, 413, 422),
    },
    description="Log up to 500 activities at once, as a phone that was offline sends what "
    "it logged: each item is a create body of `POST /couples/{couple_id}/activities`, "
    "stored as that create would store it, a replay (same `id`, same body) giving the "
    "stored activity; all in one transaction, so every item is stored or none is. A bad "
    "item fails the whole batch: the problem lists every bad item's errors, each with the "
    "item's `index` and a `field` of `items.<index>.<field>` (422 for a body or an "
    "`occurred_at` that is not valid; 409 `id-conflict` for an `id` taken by another "
    "create or a deleted activity). The answer lists the items in the request's order with "
    "the stored activity and whether it was `created` now; 201 when any was, 200 when all "
    "were replays. The body may be up to `MAX_BATCH_BODY_BYTES` (1 MiB by default)."
    + REFUSED_WHEN_DISSOLVED,
)
async def create_activities(
    couple_id: uuid.UUID,
    body: ActivityBatch,
    caller: CallerDep,
    _partners: OpenCouplePartners,
    conn: Transaction,
) -> Response:
    stored = await service.create_activities(conn, couple_id, caller.id, body.items)
    result = ActivityBatchResult(
        items=[
            ActivityBatchItem(index=index, created=created, activity=service.to_public(row))
            for index, (row, created) in enumerate(stored)
        ]
    )
    return batch_answer(result, any(created for _, created in stored))


@router.get(
    "",
    responses=problems(401, 404, 422),
    description="The couple's activities, both partners', newest `occurred_at` first (ties "
    "broken by id, highest first); deleted ones are left out. `since` is inclusive and "
    "`until` exclusive; `kind` and `logged_by` filter on those fields. Pass `next_cursor` "
    "back as `cursor` for the next page; it is null on the last page. Keep the same "
    "filters while paging.",
)
async def list_activities(
    couple_id: uuid.UUID,
    _partners: CouplePartners,
    conn: Transaction,
    response: Response,
    since: Instant | None = None,
    until: Instant | None = None,
    kind: ActivityKind | None = None,
    logged_by: uuid.UUID | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> ActivityPage:
    items, next_cursor = await service.list_activities(
        conn,
        couple_id,
        since=since,
        until=until,
        kind=kind,
        logged_by=logged_by,
        cursor=cursor,
        limit=limit,
    )
    # The couple's own: no shared cache keeps it, as no shared cache keeps one activity.
    response.headers.update(PRIVATE)
    return ActivityPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{activity_id}",
    response_model=ActivityPublic,
    responses={
        304: {"description": "Not modified since the `If-None-Match` ETag"},
        **problems(401, 404, 422),
    },
    description="One activity, with its `ETag`, the same for both partners. "
    "`If-None-Match` with the current ETag gives 304. A deleted activity is a 404.",
)
async def read_activity(
    couple_id: uuid.UUID,
    activity_id: uuid.UUID,
    response: Response,
    _partners: CouplePartners,
    conn: Transaction,
    if_none_match: IfNoneMatch = None,
) -> ActivityPublic | Response:
    row, held = await service.read_activity(conn, couple_id, activity_id, if_none_match)
    if held:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=_validators(row))
    return _viewed(row, response)


@router.patch(
    "/{activity_id}",
    response_model=ActivityPublic,
    responses=problems(401, 403, 404, 412, 422),
    description="Change kind, occurred_at, duration_minutes or note; fields left out stay "
    "as they are, null clears `duration_minutes` and `note` (null `kind` or "
    "`occurred_at` is a 422). Only the partner who logged the activity may (the other "
    "gets 403 `not-logger`). Send `If-Match` with the ETag you read to refuse the change "
    "(412 `stale-version`) if the activity changed since; without it the change is "
    "unconditional. An empty body changes nothing and answers the activity as it is.",
)
async def update_activity(
    couple_id: uuid.UUID,
    activity_id: uuid.UUID,
    body: ActivityUpdate,
    response: Response,
    caller: CallerDep,
    _partners: CouplePartners,
    conn: Transaction,
    if_match: IfMatch = None,
) -> ActivityPublic:
    row = await service.update_activity(conn, couple_id, activity_id, caller.id, body, if_match)
    return _viewed(row, response)


@router.delete(
    "/{activity_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 403, 404, 412, 422),
    description="Delete an activity the caller logged (the other partner gets 403 "
    "`not-logger`); `If-Match`, when given, must be current (else 412). The activity "
    "leaves the list and the weekly figures, its note is erased, and its id stays taken: "
    "creating it again, even with the very same body, is a 409.",
)
async def delete_activity(
    couple_id: uuid.UUID,
    activity_id: uuid.UUID,
    caller: CallerDep,
    _partners: CouplePartners,
    conn: Transaction,
    if_match: IfMatch = None,
) -> Response:
    await service.delete_activity(conn, couple_id, activity_id, caller.id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
