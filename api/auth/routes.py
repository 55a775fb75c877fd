"""`/auth`: register, log in, refresh, log out; verify the email address, reset the
password."""

from fastapi import APIRouter, Response, status

from api.auth import reset, service, verification
from api.auth.passwords import PasswordsDep
from api.core.db import DatabaseDep
from api.core.deps import CallerDep, ClientAddress, SettingsDep
from api.core.errors import problems
from api.core.mail import MailerDep
from models.email_code import CodeBody, EmailVerified, PasswordResetConfirm, PasswordResetRequest
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
    "A code to verify the address is mailed to it once the account is stored "
    "(`POST /auth/verify-email`); the account works before it is verified. "
    f"{_BUSY}",
)
async def register(
    body: UserCreate,
    database: DatabaseDep,
    passwords: PasswordsDep,
    mailer: MailerDep,
    client: ClientAddress,
    settings: SettingsDep,
) -> UserPublic:
    return await service.register(database, passwords, mailer, body, client, settings)


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


_CODE_LIMIT = (
    "Codes that do not work are limited per client address (`CODE_REQUESTS_PER_CLIENT` "
    "per `CODE_WINDOW_SECONDS`, by default 20 an hour): past it, a 429 `too-many-codes` "
    "with `Retry-After`."
)


@router.post(
    "/verify-email",
    responses=problems(422, 429),
    description="Confirm the account's email address with the code mailed to it (at "
    "registration, or by `POST /auth/verify-email/resend`). Needs no `Authorization`: "
    "the code names the account, so a link opened on another device works. A code is "
    "20 letters and digits, taken in any case, with or without its dashes; it works "
    "once, for `VERIFY_CODE_HOURS` (48 by default), and using one ends the others. A "
    "code that is unknown, spent or expired is a 422 on `code`. Verifying an address "
    f"verified already (with another live code) changes nothing. {_CODE_LIMIT}",
)
async def verify_email(
    body: CodeBody, database: DatabaseDep, client: ClientAddress, settings: SettingsDep
) -> EmailVerified:
    return await verification.verify(database, body.code, client, settings)


@router.post(
    "/verify-email/resend",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problems(401, 409, 429),
    description="Mail the caller a new code to verify their address; earlier codes "
    "keep working until they expire. The message goes out after the answer, and is "
    "tried again while the mail server fails. At most `CODES_PER_HOUR` codes (3 by "
    "default, the one sent at registration included) go to an account in an hour: "
    "past it, a 429 `too-many-codes` with `Retry-After`. An address verified already is "
    "a 409 `email-verified`.",
)
async def resend_verification(
    caller: CallerDep, database: DatabaseDep, mailer: MailerDep, settings: SettingsDep
) -> Response:
    await verification.resend(database, mailer, caller.id, settings)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problems(422, 429),
    description="Ask for a code to set a new password, mailed to the address if it is "
    "the verified address of an account. The answer is the same 202 whatever the "
    "email, so it tells nobody whether an account exists. A code works once, for "
    "`RESET_CODE_MINUTES` (30 by default); at most `CODES_PER_HOUR` are mailed to an "
    "account in an hour, and further requests send nothing. Requests are limited per "
    "client address (`CODE_REQUESTS_PER_CLIENT` per `CODE_WINDOW_SECONDS`): past it, "
    "a 429 `too-many-resets` with `Retry-After`.",
)
async def request_password_reset(
    body: PasswordResetRequest,
    database: DatabaseDep,
    mailer: MailerDep,
    client: ClientAddress,
    settings: SettingsDep,
) -> Response:
    await reset.request_reset(database, mailer, body.email, client, settings)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(422, 429),
    description="Set a new password (at least 10 characters) with a code from `POST "
    "/auth/password-reset`. Every login of the account ends: its refresh tokens stop "
    "working at once, and access tokens already issued expire within "
    "`ACCESS_TOKEN_MINUTES` (15 at most). A message tells the address that the password "
    "changed. A code that is unknown, spent or expired is a 422 on `code`, and nothing "
    f"changes. {_CODE_LIMIT} {_BUSY}",
)
async def confirm_password_reset(
    body: PasswordResetConfirm,
    database: DatabaseDep,
    passwords: PasswordsDep,
    mailer: MailerDep,
    client: ClientAddress,
    settings: SettingsDep,
) -> Response:
    await reset.confirm_reset(
        database, passwords, mailer, body.code, body.password, client, settings
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
