"""`/auth`: register, log in, refresh, log out."""

from fastapi import APIRouter, Response, status

from api.auth import service
from api.auth.passwords import PasswordsDep
from api.core.db import DatabaseDep
from api.core.deps import ClientAddress, SettingsDep
from api.core.errors import problems
from models.token import LoginRequest, LoginTokens, RefreshRequest, TokenPair
from models.user import UserCreate, UserPublic

router = APIRouter(prefix="/auth", tags=["auth"], responses=problems(503))

_BUSY = (
    "A worker runs a bounded number of password hashes at once; past it, the request is "
    "a 503 `busy` at once, with `Retry-After`."
)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses=problems(409, 422, 429),
    description="Create a `partner` (default) or `therapist` account. The email is "
    "compared without regard to case; a taken one is a 409. Registrations are limited "
    "per client address, an IPv6 client's /64 (`REGISTRATIONS_PER_CLIENT` per "
    "`REGISTRATION_WINDOW_SECONDS`, by default 20 an hour), counted whether they create "
    "an account or find its email taken: past it, a 429 with `Retry-After` in seconds. "
    f"{_BUSY}",
)
async def register(
    body: UserCreate,
    database: DatabaseDep,
    passwords: PasswordsDep,
    client: ClientAddress,
    settings: SettingsDep,
) -> UserPublic:
    return await service.register(database, passwords, body, client, settings)


@router.post(
    "/login",
    responses=problems(401, 422, 429),
    description="Exchange an email and password for an access token (at most 15 minutes), "
    "a refresh token and a `device_token`. Failed logins are limited per account and, "
    "more loosely, per client address (an IPv6 client's /64), within a sliding window "
    "(`LOGIN_WINDOW_SECONDS`, a minute by default); past a limit every "
    "attempt, right or wrong, is a 429 with `Retry-After` in seconds. A limit per "
    "account lets anyone who knows an email keep its logins at 429, so a client that "
    "sends the `device_token` of its last login to the account is counted on its own: "
    "strangers' guesses never lock it out, and it gets only as many guesses itself. "
    "Apps already logged in are not affected either way: refreshing is not limited. "
    f"{_BUSY}",
)
async def login(
    body: LoginRequest,
    database: DatabaseDep,
    passwords: PasswordsDep,
    client: ClientAddress,
    settings: SettingsDep,
) -> LoginTokens:
    return await service.login(database, passwords, body, client, settings)


@router.post(
    "/refresh",
    responses=problems(401, 422),
    description="Spend a refresh token for a new pair. Each refresh token works once: "
    "presenting a spent one is a 401 and revokes every refresh token of that login. A "
    "login lasts at most `LOGIN_DAYS` (90 by default) from its password check, however "
    "often it is refreshed; then the client logs in again.",
)
async def refresh(body: RefreshRequest, database: DatabaseDep, settings: SettingsDep) -> TokenPair:
    return await service.refresh(database, body.refresh_token, settings)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(422),
    description="End the login that this refresh token belongs to. Needs no "
    "`Authorization`; an unknown token is also a 204, so nothing is revealed.",
)
async def logout(body: RefreshRequest, database: DatabaseDep) -> Response:
    await service.logout(database, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
