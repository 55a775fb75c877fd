"""Registration, login, refresh-token rotation and logout.

A password hash costs tens of milliseconds and 64 MiB, so it runs between transactions,
never inside one: a registration or login checks its limits and takes its turn in one
short transaction, hashes, then writes in another."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth import ratelimit, verification
from api.auth.passwords import Passwords
from api.core.db import Database
from api.core.deps import account_gone
from api.core.errors import FieldError, Problem
from api.core.mail import Mailer
from api.core.security import (
    Device,
    create_access_token,
    create_device_token,
    digest,
    new_secret,
    read_device_token,
)
from api.core.settings import Settings
from api.users.service import create_user, email_taken
from models.base import utcnow
from models.token import LoginRequest, LoginTokens, RefreshToken, TokenPair
from models.user import User, UserCreate, UserPublic
from models.vocabulary import FORMER_PARTNER

_users: sa.Table = User.__table__  # type: ignore[attr-defined]
_tokens: sa.Table = RefreshToken.__table__  # type: ignore[attr-defined]


async def register(
    database: Database,
    passwords: Passwords,
    mailer: Mailer,
    body: UserCreate,
    client: str,
    settings: Settings,
) -> UserPublic:
    """The new account, with a code to verify its address mailed once it has committed."""
    now = utcnow()
    window = timedelta(seconds=settings.registration_window_seconds)
    with passwords.place() as place:
        async with database.transaction() as conn:
            await ratelimit.serialise(conn, ratelimit.REGISTERING, client)
            limit = ratelimit.per_client(
                ratelimit.REGISTRATIONS, client, settings.registrations_per_client
            )
            wait = await ratelimit.retry_after(conn, [limit], now, window)
            if wait is not None:
                raise ratelimit.too_many(
                    "registrations from this address", wait, "too-many-registrations"
                )
            # Counted whatever the outcome: a taken email is an answer worth limiting too.
            await ratelimit.record_registration(conn, client, now, window)
            taken = await email_taken(conn, body.email)
        if taken:
            raise _email_taken()
        password_hash = await place.hash(body.password)
    async with database.transaction() as conn:
        user = await create_user(conn, body, password_hash)
        if user is not None:
            issued = await verification.issue_code(conn, user.id, settings, utcnow())
    if user is None:  # registered by another request while this one hashed
        raise _email_taken()
    if issued.code is not None:
        verification.mail_code(mailer, settings, user.email, issued.code)
    return user


def _email_taken() -> Problem:
    return Problem(409, "An account with this email already exists.", code="email-taken")


@dataclass(frozen=True)
class _Account:
    id: uuid.UUID
    password_hash: str
    account_type: str


async def login(
    database: Database,
    passwords: Passwords,
    body: LoginRequest,
    client: str,
    settings: Settings,
) -> LoginTokens:
    """`body.email` normalised (`LoginEmail`). The attempt is counted as a failure
    before the password is checked, and forgotten once it proves right: parallel
    guesses each take a place in the limit, as guesses one after another would."""
    email = body.email
    shown = read_device_token(body.device_token, settings)
    with passwords.place() as place:
        async with database.transaction() as conn:
            await ratelimit.serialise(conn, ratelimit.LOGINS, email)
            row = (
                await conn.execute(
                    sa.select(_users.c.id, _users.c.password_hash, _users.c.account_type).where(
                        _users.c.email == email
                    )
                )
            ).first()
            # The stand-in for an erased partner has no password: it is no account to log
            # in to, and is checked against the dummy hash as an unknown address is.
            account = None
            if row is not None and row.account_type != FORMER_PARTNER:
                account = _Account(row.id, row.password_hash, row.account_type)
            # Another account's device is no device of this one.
            device = shown if shown and account and shown.user_id == account.id else None
            device_id = device.id if device else None
            limit = await _count_failure(conn, email, device_id, client, settings)
        right = await place.verify(body.password, account.password_hash if account else None)
    if account is None or not right:
        raise Problem(401, "The email or password is not right.", code="bad-credentials")
    async with database.transaction() as conn:
        await ratelimit.forget_failures(conn, limit)
        login_expires_at = utcnow() + timedelta(days=settings.login_days)
        pair = await _issue_pair(
            conn, account.id, account.account_type, uuid.uuid4(), login_expires_at, settings
        )
    device = device or Device(user_id=account.id, id=uuid.uuid4())
    return LoginTokens(**pair.model_dump(), device_token=create_device_token(device, settings))


async def _count_failure(
    conn: AsyncConnection,
    email: str,
    device_id: uuid.UUID | None,
    client: str,
    settings: Settings,
) -> ratelimit.Limit:
    """Count a password check of the account as a failed login, until it proves right
    (`forget_failures` with the limit returned): a 429 once the account (from this
    device, or from clients it does not know) or the client address has failed too
    often in the window."""
    now = utcnow()
    window = timedelta(seconds=settings.login_window_seconds)
    limit = ratelimit.per_account(email, device_id, settings.login_failures_per_email)
    limits = [
        limit,
        ratelimit.per_client(ratelimit.FAILURES, client, settings.login_failures_per_client),
    ]
    wait = await ratelimit.retry_after(conn, limits, now, window)
    if wait is not None:
        raise ratelimit.too_many("failed logins", wait, "too-many-logins")
    await ratelimit.record_failure(conn, email, client, device_id, now, window)
    return limit


async def confirm_password(
    database: Database,
    passwords: Passwords,
    user_id: uuid.UUID,
    password: str,
    client: str,
    settings: Settings,
) -> None:
    """The caller's password, asked again before a change that cannot be undone
    (`DELETE /me`). Checked as a login is, outside any transaction, and counted as
    failed logins of the account from a device of its own, the signed-in account (its
    id stands for the device), so that a stolen access token cannot be used to guess the
    password, while strangers' failed logins, which anyone who knows the email can make,
    never hold the owner back: a 429 past the limits, a 403 for a wrong password, a 401
    for an account that is gone."""
    with passwords.place() as place:
        async with database.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(_users.c.email, _users.c.password_hash).where(_users.c.id == user_id)
                )
            ).first()
            if row is None:
                raise account_gone()
            await ratelimit.serialise(conn, ratelimit.LOGINS, row.email)
            limit = await _count_failure(conn, row.email, user_id, client, settings)
        right = await place.verify(password, row.password_hash)
    if not right:
        raise Problem(
            403,
            "The password is not right.",
            code="wrong-password",
            errors=[FieldError(field="password", message="is not the account's password")],
        )
    async with database.transaction() as conn:
        await ratelimit.forget_failures(conn, limit)


async def _issue_pair(
    conn: AsyncConnection,
    user_id: uuid.UUID,
    account_type: str,
    family_id: uuid.UUID,
    login_expires_at: datetime,
    settings: Settings,
) -> TokenPair:
    refresh_token = new_secret()
    now = utcnow()
    await conn.execute(
        sa.insert(_tokens).values(
            user_id=user_id,
            family_id=family_id,
            token_hash=digest(refresh_token),
            expires_at=min(now + timedelta(days=settings.refresh_token_days), login_expires_at),
            login_expires_at=login_expires_at,
        )
    )
    # The account's tokens that can no longer be used go as it logs in or refreshes;
    # housekeeping takes those of accounts that stopped.
    await conn.execute(
        sa.delete(_tokens).where(_tokens.c.user_id == user_id, _tokens.c.expires_at <= now)
    )
    return TokenPair(
        access_token=create_access_token(user_id, account_type, settings),
        refresh_token=refresh_token,
        expires_in=settings.access_token_minutes * 60,
    )


async def refresh(database: Database, refresh_token: str, settings: Settings) -> TokenPair:
    now = utcnow()
    token_hash = digest(refresh_token)
    async with database.transaction() as conn:
        # Spending the token is one conditional update, so two racing refreshes cannot
        # both succeed: the loser is treated as a reuse.
        spent = (
            await conn.execute(
                sa.update(_tokens)
                .where(
                    _tokens.c.token_hash == token_hash,
                    _tokens.c.used_at.is_(None),
                    _tokens.c.revoked_at.is_(None),
                    _tokens.c.expires_at > now,
                )
                .values(used_at=now)
                .returning(_tokens.c.user_id, _tokens.c.family_id, _tokens.c.login_expires_at)
            )
        ).first()
        if spent is not None:
            account_type = await conn.scalar(
                sa.select(_users.c.account_type).where(_users.c.id == spent.user_id)
            )
            if account_type is not None:
                return await _issue_pair(
                    conn,
                    spent.user_id,
                    account_type,
                    spent.family_id,
                    spent.login_expires_at,
                    settings,
                )
        known = (
            await conn.execute(
                sa.select(_tokens.c.family_id, _tokens.c.used_at).where(
                    _tokens.c.token_hash == token_hash
                )
            )
        ).first()
        reused = known is not None and known.used_at is not None
        if known is not None and reused:
            await revoke_family(conn, known.family_id)
    # Outside the transaction, which has committed the revocation.
    if reused:
        raise Problem(
            401,
            "This refresh token was already used; every token of this login is now revoked.",
            code="refresh-token-reused",
        )
    raise Problem(
        401, "The refresh token is invalid, expired or revoked.", code="bad-refresh-token"
    )


async def revoke_family(conn: AsyncConnection, family_id: uuid.UUID) -> None:
    await conn.execute(
        sa.update(_tokens)
        .where(_tokens.c.family_id == family_id, _tokens.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def logout(database: Database, refresh_token: str) -> None:
    async with database.transaction() as conn:
        family_id = await conn.scalar(
            sa.select(_tokens.c.family_id).where(_tokens.c.token_hash == digest(refresh_token))
        )
        if family_id is not None:
            await revoke_family(conn, family_id)
