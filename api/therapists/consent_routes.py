"""`/couples/{couple_id}/therapists` and `/couples/{couple_id}/access-log`: what the
partners decide and see of a therapist's access."""

import uuid

from fastapi import APIRouter, Request, Response, status

from api.core.cursor import CursorQuery, LimitQuery
from api.core.db import Transaction
from api.core.deps import CallerDep, SettingsDep
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
    "read the couple's figures (aggregates only, never a note). The `status` is "
    "`pending` until both partners granted; then `awaiting_therapist` until the "
    "therapist accepts (`active`: the couple is in its caseload) or declines "
    "(`declined`). Access stands only while both grants do and the therapist accepted. "
    "`granted_by` lists the partners who granted; `active_since` is when the therapist "
    "accepted, `answered_at` when it answered either way. 201 for a new grant; 200, "
    "changing nothing, when the caller had granted it already (a declined couple invites "
    "the therapist again by a revocation, then both grants). A grant that would make one "
    "couple more awaiting the therapist than it may have at once "
    "(`THERAPIST_INVITATIONS_LIMIT`) is a 409 `therapist-invitations-full`, and nothing "
    "is written. An email that is unknown, not a therapist account's, or a therapist's "
    "not yet verified (`POST /auth/verify-email`), is the same 422 on `email`: the "
    "answer does not tell whether an account exists. A dissolved couple (a partner "
    "erased their account) grants no one: its grants went with the dissolution, and a "
    "new one is a 409 `couple-dissolved`.",
)
async def grant_access(
    couple_id: uuid.UUID,
    body: GrantCreate,
    caller: CallerDep,
    _partners: CouplePartners,
    conn: Transaction,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> GrantPublic:
    granted, created = await grants.grant(
        conn,
        couple_id,
        caller.id,
        str(body.email),
        invitations_limit=settings.therapist_invitations_limit,
    )
    # The therapist's invitations changed; and a caseload held for it may hold this
    # couple (a new partner's grant awaits the therapist again): it must hear of it.
    heard_on_answer(request, granted.therapist_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    return granted


@router.get(
    "/therapists",
    responses=problems(401, 404, 422),
    description="The therapist accounts either partner has granted, in the order of "
    "their first grant, with their status (`pending`, `awaiting_therapist`, `active` or "
    "`declined`, as for a grant).",
)
async def list_grants(
    couple_id: uuid.UUID, _partners: CouplePartners, conn: Transaction
) -> GrantList:
    return GrantList(items=await grants.grants(conn, couple_id))


@router.delete(
    "/therapists/{therapist_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 404, 422),
    description="Either partner revokes the therapist's access, whoever granted it, "
    "whatever its status: both grants go with the therapist's answer, the therapist's "
    "next request gets 404, and access needs both partners' grants and the therapist's "
    "acceptance again. A therapist with no grant on this couple is a 404.",
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
