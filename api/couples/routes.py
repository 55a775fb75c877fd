"""`/couples`: create, join, read, change, invite."""

import uuid

from fastapi import APIRouter, Response, status

from api.core.conditional import IfMatch
from api.core.db import Transaction
from api.core.deps import CallerDep, SettingsDep
from api.core.errors import problems
from api.core.responses import tagged_json
from api.couples import service
from api.couples.access import CouplePartners
from models.couple import (
    CoupleCreate,
    CoupleList,
    CouplePublic,
    CoupleUpdate,
    CoupleWithInvite,
    InvitePublic,
    JoinRequest,
)

router = APIRouter(prefix="/couples", tags=["couples"], responses=problems(503))

# Every couple answer shows its partners the same way.
_PARTNERS = (
    " Each of `partners` is `{id, display_name, love_languages, attachment_style}`: the "
    "caller's own entry always carries the caller's profile; the other partner's carries "
    "theirs only while that partner shares it (`share_profile` on `PATCH /me`, shared by "
    "default), else `love_languages` and `attachment_style` are null. A change of sharing "
    "shows on the next read."
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problems(401, 403, 422),
    description="Create a couple with the caller as its first partner, and an invite code "
    "for the second (single use; it expires at `invite.expires_at`). The time zone "
    "defaults to the caller's. Therapist accounts get 403." + _PARTNERS,
)
async def create_couple(
    body: CoupleCreate, caller: CallerDep, conn: Transaction, settings: SettingsDep
) -> CoupleWithInvite:
    couple, invite = await service.create_couple(
        conn, caller.id, caller.account_type, body, settings.invite_hours
    )
    return CoupleWithInvite(**couple.model_dump(), invite=invite)


@router.post(
    "/join",
    responses=problems(401, 403, 404, 409, 422),
    description="Join a couple with its invite code (case and dashes do not matter). "
    "An unknown, expired, used or replaced code is a 404; a couple that already has two "
    "partners, or of which the caller is already one, is a 409." + _PARTNERS,
)
async def join_couple(body: JoinRequest, caller: CallerDep, conn: Transaction) -> CouplePublic:
    return await service.join(conn, caller.id, caller.account_type, body.code)


@router.get(
    "",
    responses=problems(401),
    description="The caller's couples, oldest first." + _PARTNERS,
)
async def list_couples(caller: CallerDep, conn: Transaction) -> CoupleList:
    return CoupleList(items=await service.list_couples(conn, caller.id))


@router.get(
    "/{couple_id}",
    response_model=CouplePublic,
    responses=problems(401, 404, 422),
    description="The couple, to its two partners only; anyone else, a therapist with "
    "access included, gets 404. Its `ETag` is of the couple as the caller sees it; send "
    "it as `If-Match` on a change." + _PARTNERS,
)
async def read_couple(
    couple_id: uuid.UUID, caller: CallerDep, _partners: CouplePartners, conn: Transaction
) -> Response:
    return tagged_json(await service.get_couple(conn, couple_id, caller.id))


@router.patch(
    "/{couple_id}",
    response_model=CouplePublic,
    responses=problems(401, 404, 412, 422),
    description="Change `name` (null clears it), `timezone` (IANA), `week_starts` "
    "(`monday` or `sunday`) or `weights`. Weights may be given in part; `toward` is "
    "1 to 20 and `away`, `against` are -20 to -1. Either partner may change them. With "
    "`If-Match`, the change applies only to the couple as read (the `ETag` of "
    "`GET /couples/{couple_id}`), else 412; the answer carries the new `ETag`." + _PARTNERS,
)
async def update_couple(
    couple_id: uuid.UUID,
    body: CoupleUpdate,
    caller: CallerDep,
    _partners: CouplePartners,
    conn: Transaction,
    if_match: IfMatch = None,
) -> Response:
    return tagged_json(await service.update_couple(conn, couple_id, caller.id, body, if_match))


@router.post(
    "/{couple_id}/invite",
    status_code=status.HTTP_201_CREATED,
    responses=problems(401, 404, 409, 422),
    description="A new invite code for the second partner; codes handed out before stop "
    "working. A couple that already has two partners is a 409 `couple-full`, and a "
    "dissolved one (a partner erased their account) a 409 `couple-dissolved`.",
)
async def new_invite(
    couple_id: uuid.UUID,
    caller: CallerDep,
    partners: CouplePartners,
    conn: Transaction,
    settings: SettingsDep,
) -> InvitePublic:
    return await service.new_invite(conn, couple_id, caller.id, partners, settings.invite_hours)
