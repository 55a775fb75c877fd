"""`/therapist/invitations`: the couples whose two partners granted the caller access,
awaiting its answer, and the answer. Only a couple the therapist accepted is in its
caseload."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from api.core.db import DatabaseDep, Transaction
from api.core.deps import SettingsDep
from api.core.errors import problems
from api.core.notices import heard_on_answer
from api.therapists import invitations
from api.therapists.access import TherapistDep
from models.therapist import Answer, InvitationAnswer, InvitationList

router = APIRouter(prefix="/therapist/invitations", tags=["therapist"], responses=problems(503))

_ANSWER = (
    " The answer is `{couple_id, partners, invited_at, status, answered_at}`: the "
    "partners by name only, when the second of them granted access (`invited_at`), the "
    "couple's status for the caller (`active` or `declined`) and when the caller gave "
    "that answer. A couple whose two partners have not both granted the caller access "
    "(one grant only, a revoked grant, another therapist's couple, no such couple) is a "
    "404. Partner accounts get 403."
)


@router.get(
    "",
    responses=problems(401, 403),
    description="The couples whose two partners have both granted the caller access and "
    "that await the caller's answer (accept or decline), oldest invitation first: each "
    "couple's id, its partners by name, and when the second partner granted "
    "(`invited_at`). Names only: no figure of a couple is shown before the caller "
    "accepts it. The list is capped, so it has no pages: a partner's grant that would "
    "make one couple more than the cap awaiting the caller (`THERAPIST_INVITATIONS_LIMIT`, "
    "50 by default) is refused with a 409. Partner accounts get 403.",
)
async def list_invitations(
    therapist: TherapistDep, database: DatabaseDep, settings: SettingsDep
) -> InvitationList:
    async with database.snapshot() as conn:
        items = await invitations.awaiting(conn, therapist.id, settings.therapist_invitations_limit)
    return InvitationList(items=items)


def _answered(given: Answer) -> Callable[..., Awaitable[InvitationAnswer]]:
    """The caller's answer `given` to the couple of the path, written."""

    async def answered(
        couple_id: uuid.UUID, therapist: TherapistDep, conn: Transaction, request: Request
    ) -> InvitationAnswer:
        couple = await invitations.answer(conn, couple_id, therapist.id, given)
        # A caseload held for the therapist gains or loses this couple: it must hear of
        # the therapist.
        heard_on_answer(request, therapist.id)
        return couple

    return answered


@router.post(
    "/{couple_id}/accept",
    responses=problems(401, 403, 404, 409, 422),
    description="The caller accepts the couple: it enters the caller's caseload, and "
    "its trends and export can be read (each read entered in its access log). 200 with "
    "status `active`; accepting a couple accepted already changes nothing. A couple the "
    "caller declined is a 409 (`invitation-declined`): its partners must revoke the "
    "grant and grant access again, which makes a new invitation. A therapist whose "
    "address is not verified yet (an account made before addresses were) is a 409 "
    "`email-unverified`: it verifies it first (`POST /auth/verify-email`)." + _ANSWER,
)
async def accept(
    answered: Annotated[InvitationAnswer, Depends(_answered(Answer.accepted))],
) -> InvitationAnswer:
    return answered


@router.post(
    "/{couple_id}/decline",
    responses=problems(401, 403, 404, 422),
    description="The caller declines the couple, awaiting or accepted: 200 with status "
    "`declined`, and a couple accepted before leaves the caller's caseload at once, its "
    "trends and export a 404. Declining again changes nothing. The partners see the "
    "status `declined` in their grants; to invite the caller again they revoke the grant "
    "and both grant access anew." + _ANSWER,
)
async def decline(
    answered: Annotated[InvitationAnswer, Depends(_answered(Answer.declined))],
) -> InvitationAnswer:
    return answered
