"""`/auth`: register, log in, refresh, log out."""

from fastapi import APIRouter, Response, status
from starlette.concurrency import run_in_threadpool

from api.auth import service
from api.db import Conn
from api.deps import ClientAddress, SettingsDep
from api.errors import problems
from api.security import hash_password
from api.users.service import create_user
from models.token import LoginRequest, RefreshRequest, TokenPair
from models.user import UserCreate, UserPublic

router = APIRouter(prefix="/auth", tags=["auth"], responses=problems(503))


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses=problems(409, 422),
    description="Create a `partner` (default) or `therapist` account. The email is "
    "compared without regard to case; a taken one is a 409.",
)
async def register(body: UserCreate, conn: Conn) -> UserPublic:
    password_hash = await run_in_threadpool(hash_password, body.password)
    return await create_user(conn, body, password_hash)


@router.post(
    "/login",
    responses=problems(401, 422, 429),
    description="Exchange an email and password for an access token (at most 15 minutes) "
    "and a refresh token. Failed logins are limited per account and, more loosely, per "
    "client address, within a sliding minute; past the limit every attempt, right or "
    "wrong, is a 429 with `Retry-After` in seconds.",
)
async def login(
    body: LoginRequest, conn: Conn, client: ClientAddress, settings: SettingsDep
) -> TokenPair:
    return await service.login(conn, body.email, body.password, client, settings)


@router.post(
    "/refresh",
    responses=problems(401, 422),
    description="Spend a refresh token for a new pair. Each refresh token works once: "
    "presenting a spent one is a 401 and revokes every refresh token of that login.",
)
async def refresh(body: RefreshRequest, conn: Conn, settings: SettingsDep) -> TokenPair:
    return await service.refresh(conn, body.refresh_token, settings)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(422),
    description="End the login that this refresh token belongs to. Needs no "
    "`Authorization`; an unknown token is also a 204, so nothing is revealed.",
)
async def logout(body: RefreshRequest, conn: Conn) -> Response:
    await service.logout(conn, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
