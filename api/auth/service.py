"""Registration, login, refresh-token rotation and logout."""

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.concurrency import run_in_threadpool

from api.auth import ratelimit
from api.errors import Problem
from api.security import create_access_token, digest, new_secret, verify_password
from api.settings import Settings
from api.users.service import normalise_email
from models.base import utcnow
from models.token import RefreshToken, TokenPair
from models.user import User

_users: sa.Table = User.__table__  # type: ignore[attr-defined]
_tokens: sa.Table = RefreshToken.__table__  # type: ignore[attr-defined]


def _bad_credentials() -> Problem:
    # `commit`: the failure just recorded must count even though the request fails.
    return Problem(401, "The email or password is not right.", code="bad-credentials", commit=True)


async def login(
    conn: AsyncConnection, email: str, password: str, client: str, settings: Settings
) -> TokenPair:
    email = normalise_email(email)
    await ratelimit.serialise(conn, email)
    now = utcnow()
    window = timedelta(seconds=settings.login_window_seconds)
    wait = await ratelimit.retry_after(
        conn,
        [
            ratelimit.Limit("email", email, settings.login_failures_per_email),
            ratelimit.Limit("client", client, settings.login_failures_per_client),
        ],
        now,
        window,
    )
    if wait is not None:
        raise Problem(
            429,
            f"Too many failed logins; try again in {wait} seconds.",
            code="too-many-logins",
            headers={"Retry-After": str(wait)},
        )
    row = (
        await conn.execute(
            sa.select(_users.c.id, _users.c.password_hash, _users.c.account_type).where(
                _users.c.email == email
            )
        )
    ).first()
    stored_hash = row.password_hash if row else None
    if not await run_in_threadpool(verify_password, password, stored_hash) or row is None:
        await ratelimit.record_failure(conn, email, client, now, window)
        raise _bad_credentials()
    await ratelimit.forget_failures(conn, email)
    return await _issue_pair(conn, row.id, row.account_type, uuid.uuid4(), settings)


async def _issue_pair(
    conn: AsyncConnection,
    user_id: uuid.UUID,
    account_type: str,
    family_id: uuid.UUID,
    settings: Settings,
) -> TokenPair:
    refresh_token = new_secret()
    await conn.execute(
        sa.insert(_tokens).values(
            user_id=user_id,
            family_id=family_id,
            token_hash=digest(refresh_token),
            expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
        )
    )
    return TokenPair(
        access_token=create_access_token(user_id, account_type, settings),
        refresh_token=refresh_token,
        expires_in=settings.access_token_minutes * 60,
    )


async def refresh(conn: AsyncConnection, refresh_token: str, settings: Settings) -> TokenPair:
    now = utcnow()
    token_hash = digest(refresh_token)
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
            .returning(_tokens.c.user_id, _tokens.c.family_id)
        )
    ).first()
    if spent is not None:
        account_type = await conn.scalar(
            sa.select(_users.c.account_type).where(_users.c.id == spent.user_id)
        )
        if account_type is not None:
            return await _issue_pair(conn, spent.user_id, account_type, spent.family_id, settings)
    known = (
        await conn.execute(
            sa.select(_tokens.c.family_id, _tokens.c.used_at).where(
                _tokens.c.token_hash == token_hash
            )
        )
    ).first()
    if known is not None and known.used_at is not None:
        await revoke_family(conn, known.family_id)
        raise Problem(
            401,
            "This refresh token was already used; every token of this login is now revoked.",
            code="refresh-token-reused",
            commit=True,
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


async def logout(conn: AsyncConnection, refresh_token: str) -> None:
    family_id = await conn.scalar(
        sa.select(_tokens.c.family_id).where(_tokens.c.token_hash == digest(refresh_token))
    )
    if family_id is not None:
        await revoke_family(conn, family_id)
