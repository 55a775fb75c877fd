"""`/me`: the caller's own account."""

from fastapi import APIRouter, Response

from api.core.conditional import IfMatch
from api.core.db import Transaction
from api.core.deps import CallerDep, unauthenticated
from api.core.errors import problems
from api.core.responses import tagged_json
from api.users import service
from models.user import UserPublic, UserUpdate

router = APIRouter(prefix="/me", tags=["me"], responses=problems(503))


@router.get(
    "",
    response_model=UserPublic,
    responses=problems(401),
    description="The caller's account, with the profile (`love_languages`, "
    "`attachment_style`) and whether the partner sees it (`share_profile`).",
)
async def read_me(caller: CallerDep, conn: Transaction) -> Response:
    user = await service.get_user(conn, caller.id)
    if user is None:
        raise unauthenticated("The account of this token no longer exists.")
    return tagged_json(user)


@router.patch(
    "",
    response_model=UserPublic,
    responses=problems(401, 412, 422),
    description="Change `display_name`, `timezone`, `love_languages`, `attachment_style` "
    "(null clears it) or `share_profile`. Fields left out stay as they are; in "
    "`love_languages`, a list given (`give` or `receive`) replaces that list and one left "
    "out stays; each language at most once in a list (else 422 naming the list). "
    "`share_profile` (a boolean: true for an account made since profiles could be "
    "shared, false for one made before, whose profile was private; null is refused) says "
    "whether the partner sees `love_languages` and `attachment_style` in the couple "
    "(`GET /couples/{couple_id}` and every couple answer); a change shows on the "
    "partner's next read. The caller's own entry in the couple always shows them. "
    "Therapists never see them. With `If-Match`, the change applies only to the account "
    "as read (the `ETag` of `GET /me`), else 412; the answer carries the new `ETag`.",
)
async def update_me(
    body: UserUpdate, caller: CallerDep, conn: Transaction, if_match: IfMatch = None
) -> Response:
    user = await service.update_user(conn, caller.id, body, if_match)
    if user is None:
        raise unauthenticated("The account of this token no longer exists.")
    return tagged_json(user)
