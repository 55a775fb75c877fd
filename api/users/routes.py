"""`/me`: the caller's own account."""

from fastapi import APIRouter

from api.core.db import Transaction
from api.core.deps import CallerDep, unauthenticated
from api.core.errors import problems
from api.users import service
from models.user import UserPublic, UserUpdate

router = APIRouter(prefix="/me", tags=["me"], responses=problems(503))


@router.get("", responses=problems(401))
async def read_me(caller: CallerDep, conn: Transaction) -> UserPublic:
    user = await service.get_user(conn, caller.id)
    if user is None:
        raise unauthenticated("The account of this token no longer exists.")
    return user


@router.patch(
    "",
    responses=problems(401, 422),
    description="Change `display_name`, `timezone`, `love_languages` or `attachment_style` "
    "(null clears it). Fields left out stay as they are; in `love_languages`, a list "
    "given (`give` or `receive`) replaces that list and one left out stays.",
)
async def update_me(body: UserUpdate, caller: CallerDep, conn: Transaction) -> UserPublic:
    user = await service.update_user(conn, caller.id, body)
    if user is None:
        raise unauthenticated("The account of this token no longer exists.")
    return user
