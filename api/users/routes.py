"""`/me`: the caller's own account."""

from fastapi import APIRouter, Request, Response, status

from api.auth.access import PASSWORD_AGAIN, PasswordConfirmed
from api.core.conditional import IfMatch
from api.core.db import DatabaseDep, Transaction
from api.core.deps import CallerDep, account_gone
from api.core.errors import problems
from api.core.notices import heard_on_answer
from api.core.responses import tagged_json
from api.users import erasure, service
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
        raise account_gone()
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
        raise account_gone()
    return tagged_json(user)


@router.delete(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 403, 422, 429),
    description="Erase the caller's account, at once and for good, in one transaction: the "
    "account, its logins, its check-ins, its perceptions, its private bids and the notes "
    "it wrote go. A couple with another partner is dissolved: it stays as that partner's "
    "record, with \"Former partner\" in the caller's place, its therapists' access ended, "
    "and takes nothing new (`dissolved_at`); a couple with nobody else in it goes whole. "
    "A therapist's grants go; the couples' access logs keep its name. docs/privacy.md "
    "says what goes and what stays. Afterwards the account's refresh tokens are a 401, "
    "and so is its access token wherever the account is read (`GET /me`); on a couple's "
    "paths it is a 404, as for anyone who is not a partner; it expires within "
    "`ACCESS_TOKEN_MINUTES`. The address may register again." + PASSWORD_AGAIN,
)
async def erase_me(caller: PasswordConfirmed, database: DatabaseDep, request: Request) -> Response:
    heard = await erasure.erase_account(database, caller.id)
    if heard is None:
        raise account_gone()
    for key in heard:
        heard_on_answer(request, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
