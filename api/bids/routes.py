"""`/couples/{couple_id}/bids`: log, list, read, change, delete bids, and perceptions."""

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from api.bids import service
from api.bids.service import ResponseFilter
from api.core.conditional import IfMatch, IfNoneMatch
from api.core.cursor import CursorQuery, LimitQuery
from api.core.db import DatabaseDep, Transaction
from api.core.deps import CallerDep
from api.core.errors import problems
from api.core.responses import PRIVATE, batch_answer
from api.core.sql import Record
from api.couples.access import REFUSED_WHEN_DISSOLVED, CouplePartners, OpenCouplePartners
from models.bid import (
    BidBatch,
    BidBatchResult,
    BidCreate,
    BidPage,
    BidPublic,
    BidUpdate,
    Instant,
    Perception,
)
from models.vocabulary import BidKind

router = APIRouter(prefix="/couples/{couple_id}/bids", tags=["bids"], responses=problems(503))


def _validators(row: Record, viewer_id: uuid.UUID) -> dict[str, str]:
    """ETag and caching headers: a bid is one partner's view; no shared cache may keep
    it, and a private cache keeps one copy per login."""
    return {"ETag": service.etag(row, viewer_id), **PRIVATE}


def _viewed(row: Record, viewer_id: uuid.UUID, response: Response) -> BidPublic:
    response.headers.update(_validators(row, viewer_id))
    return service.to_public(row, viewer_id)


def _creates(model: type[BaseModel], replayed: str, *statuses: int) -> dict[str, Any]:
    """A create's answers: 201 with `model`, 200 with it for a replay, and problems."""
    return {
        "status_code": status.HTTP_201_CREATED,
        "response_model": model,
        "responses": {200: {"model": model, "description": replayed}, **problems(*statuses)},
    }


@router.post(
    "",
    **_creates(
        BidPublic,
        "A replay of an earlier create: the stored bid, nothing new written",
        401,
        404,
        409,
        422,
    ),
    description="Log a bid. Send a client-chosen `id` to make the create safe to retry: "
    "the same caller sending the same `id` and the same body once parsed (defaults "
    "spelled out or left out, the same instant in any offset) gets 200 and the stored bid; "
    "any other create with an existing `id`, a deleted bid's included, is a 409. "
    "`occurred_at` defaults to now; it may be any time from 1900 on, up to 5 minutes "
    "ahead. `response` and `style` are the caller's own perception. A couple whose second "
    "partner has not joined yet cannot log bids (409 `couple-incomplete`), nor can a "
    "dissolved one (409 `couple-dissolved`: a partner erased their account), though a "
    "replay of a create stored before still gets its 200.",
)
async def create_bid(
    couple_id: uuid.UUID, body: BidCreate, caller: CallerDep, database: DatabaseDep
) -> Response:
    row, created = await service.create_bid(database, couple_id, caller.id, body)
    # Serialised here, once, by pydantic-core: this is the hot path.
    return Response(
        service.to_public(row, caller.id).model_dump_json(),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        headers=_validators(row, caller.id),
        media_type="application/json",
    )


@router.post(
    ":batch",
    **_creates(
        BidBatchResult,
        "Every item a replay of an earlier create: nothing new written",
        401,
        404,
        409,
        413,
        422,
    ),
    description="Log up to 500 bids at once, as a phone that was offline sends what it "
    "logged: each item is a create body of `POST /couples/{couple_id}/bids`, and each is "
    "stored as that create would store it, a replay (same `id`, same body) giving the "
    "stored bid; all in one transaction, so every item is stored or none is. A bad item "
    "fails the whole batch: the problem lists every bad item's errors, each with the "
    "item's `index` and a `field` of `items.<index>.<field>` (422 for a body, an "
    "`occurred_at` or a `bidder_id` that is not valid; 409 `id-conflict` for an `id` "
    "taken by another create or a deleted bid). The answer lists the items in the "
    "request's order with the stored bid and whether it was `created` now; 201 when any "
    "was, 200 when all were replays. The body may be up to `MAX_BATCH_BODY_BYTES` (1 MiB "
    "by default)." + REFUSED_WHEN_DISSOLVED + " A batch whose every item is a replay of "
    "a create stored before still gets its 200.",
)
async def create_bids(
    couple_id: uuid.UUID, body: BidBatch, caller: CallerDep, database: DatabaseDep
) -> Response:
    stored = await service.create_bids(database, couple_id, caller.id, body.items)
    return batch_answer(
        service.batch_json(stored, caller.id), any(created for _, created in stored)
    )


@router.get(
    "",
    responses=problems(401, 404, 422),
    description="Bids newest `occurred_at` first (ties broken by id). `since` is inclusive "
    "and `until` exclusive; `response` filters on the effective response, `pending` "
    "meaning no perception yet. Pass `next_cursor` back as `cursor` for the next page; "
    "it is null on the last page. Keep the same filters while paging.",
)
async def list_bids(
    couple_id: uuid.UUID,
    caller: CallerDep,
    _partners: CouplePartners,
    conn: Transaction,
    since: Instant | None = None,
    until: Instant | None = None,
    bidder_id: uuid.UUID | None = None,
    response: ResponseFilter | None = None,
    kind: BidKind | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> BidPage:
    items, next_cursor = await service.list_bids(
        conn,
        couple_id,
        caller.id,
        since=since,
        until=until,
        bidder_id=bidder_id,
        response=response,
        kind=kind,
        cursor=cursor,
        limit=limit,
    )
    return BidPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{bid_id}",
    response_model=BidPublic,
    responses={
        304: {"description": "Not modified since the `If-None-Match` ETag"},
        **problems(401, 404, 422),
    },
    description="One bid, with its `ETag`. `If-None-Match` with the current ETag gives 304.",
)
async def read_bid(
    couple_id: uuid.UUID,
    bid_id: uuid.UUID,
    response: Response,
    caller: CallerDep,
    _partners: CouplePartners,
    conn: Transaction,
    if_none_match: IfNoneMatch = None,
) -> BidPublic | Response:
    row, held = await service.read_bid(conn, couple_id, bid_id, caller.id, if_none_match)
    if held:
        return Response(status_code=304, headers=_validators(row, caller.id))
    return _viewed(row, caller.id, response)


@router.patch(
    "/{bid_id}",
    responses=problems(401, 403, 404, 412, 422),
    description="Change kind, channel, note, occurred_at, private or repair. Only the "
    "partner who logged the bid may (the other gets 403). Send `If-Match` with the ETag "
    "you read to refuse the change (412) if the bid changed since; without it the change "
    "is unconditional. Null clears `channel` and `note`.",
)
async def update_bid(
    couple_id: uuid.UUID,
    bid_id: uuid.UUID,
    body: BidUpdate,
    response: Response,
    caller: CallerDep,
    _partners: CouplePartners,
    conn: Transaction,
    if_match: IfMatch = None,
) -> BidPublic:
    row = await service.update_bid(conn, couple_id, bid_id, caller.id, body, if_match)
    return _viewed(row, caller.id, response)


@router.delete(
    "/{bid_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 403, 404, 412, 422),
    description="Delete a bid the caller logged (the other partner gets 403). Its id stays "
    "taken: creating it again is a 409.",
)
async def delete_bid(
    couple_id: uuid.UUID,
    bid_id: uuid.UUID,
    caller: CallerDep,
    _partners: CouplePartners,
    conn: Transaction,
    if_match: IfMatch = None,
) -> Response:
    await service.delete_bid(conn, couple_id, bid_id, caller.id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/{bid_id}/perception",
    responses=problems(401, 404, 409, 412, 422),
    description="Record the caller's own view of how the bid was answered; either partner "
    "may, each for themselves. `response: null` withdraws the caller's view."
    + REFUSED_WHEN_DISSOLVED,
)
async def set_perception(
    couple_id: uuid.UUID,
    bid_id: uuid.UUID,
    body: Perception,
    response: Response,
    caller: CallerDep,
    _partners: OpenCouplePartners,
    conn: Transaction,
    if_match: IfMatch = None,
) -> BidPublic:
    row = await service.set_perception(conn, couple_id, bid_id, caller.id, body, if_match)
    return _viewed(row, caller.id, response)
