"""`/couples/{couple_id}/therapists` and `/couples/{couple_id}/access-log`: what the
partners decide and see of a therapist's access."""

import uuid

from fastapi import APIRouter, Request, Response, status

from api.core.cursor import CursorQuery, LimitQuery
from api.core.db import Transaction
from api.core.deps import CallerDep
from api.core.errors import problems
from api.core.notices import heard_on_answer
from api.couples.access import CouplePartners
from api.therapists import grants
from api.therapists.access_log import entries as access_log_entries
from models.therapist import AccessLogPage, GrantCreate, GrantList, GrantPublic

router = APIRouter(prefix="/couples/{couple_id}", tags=["therapists"], responses=problems(503))


@router.post(
    "/therapists",
    status_code=status.HTTP_201_CREATED,
    response_model=GrantPublic,
    responses={
        **problems(401, 404, 409, 422),
        200: {"model": GrantPublic, "description": "Granted before: nothing changed"},
    },
    description="The caller's consent for the therapist account with this `email` to "
    "read the couple's figures (aggregates only, never a note). Access is `active` only "
    "while both partners' grants stand, and `pending` until then; `granted_by` lists "
    "the partners who granted. 201 for a new grant; 200, changing nothing, when the "
    "caller had granted it already. An email that is unknown, not a therapist "
    "account's, or a therapist's not yet verified (`POST /auth/verify-email`), is the "
    "same 422 on `email`: the answer does not tell whether an account exists. A "
    "dissolved couple (a partner erased their account) grants no one: its grants went "
    "with the dissolution, and a new one is a 409 `couple-dissolved`.",
)
async def grant_access(
    couple_id: uuid.UUID,
    body: GrantCreate,
    caller: CallerDep,
    _partners: CouplePartners,
    conn: Transaction,
    request: Request,
    response: Response,
) -> GrantPublic:
    granted, created = await grants.grant(conn, couple_id, caller.id, str(body.email))
    # A caseload held for the therapist lacks this couple: it must hear of the therapist.
    heard_on_answer(request, granted.therapist_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    return granted


@router.get(
    "/therapists",
    responses=problems(401, 404, 422),
    description="The therapist accounts either partner has granted, in the order of "
    "their first grant, with their status.",
)
async def list_grants(
    couple_id: uuid.UUID, _partners: CouplePartners, conn: Transaction
) -> GrantList:
    return GrantList(items=await grants.grants(conn, couple_id))


@router.delete(
    "/therapists/{therapist_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 404, 422),
    description="Either partner revokes the therapist's access, whoever granted it: "
    "both grants go, the therapist's next request gets 404, and access needs both "
    "partners' grants again. A therapist with no grant on this couple is a 404.",
)
async def revoke_access(
    couple_id: uuid.UUID, therapist_id: uuid.UUID, _partners: CouplePartners, conn: Transaction
) -> Response:
    # Heard as a change of the couple of the path, which a caseload that showed it holds.
    await grants.revoke(conn, couple_id, therapist_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/access-log",
    responses=problems(401, 404, 422),
    description="Every read of this couple by a therapist, newest first: who "
    "(`therapist_id`, and `therapist_name` as it was then), which endpoint (method and "
    "path template) and, for a couple's trends or export, the `weeks` and `end` it asked "
    "for (`end` null: up to that day), and when. Each caseload page that lists the "
    "couple is one entry. The log is append-only: no endpoint changes or removes an "
    "entry. Pass `next_cursor` back as `cursor` for the next page; it is null on the "
    "last.",
)
async def access_log(
    couple_id: uuid.UUID,
    _partners: CouplePartners,
    conn: Transaction,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> AccessLogPage:
    items, next_cursor = await access_log_entries(conn, couple_id, cursor=cursor, limit=limit)
    return AccessLogPage(items=items, next_cursor=next_cursor)
