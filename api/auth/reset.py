"""Password reset by email: a code mailed to a verified address, which sets a new
password once and ends every login of the account. Asking says nothing of whether an
account exists: the answer is the same 202 whatever the email."""

from datetime import timedelta

import sqlalchemy as sa

from api.auth import codes, messages, ratelimit
from api.auth.passwords import Passwords
from api.auth.verification import check_code_limit, wrong_code
from api.core.db import Database
from api.core.mail import Mailer
from api.core.settings import Settings
from models.base import utcnow
from models.email_code import CodePurpose
from models.token import RefreshToken
from models.user import User

_users: sa.Table = User.__table__  # type: ignore[attr-defined]
_tokens: sa.Table = RefreshToken.__table__  # type: ignore[attr-defined]


async def request_reset(
    database: Database, mailer: Mailer, email: str, client: str, settings: Settings
) -> None:
    """`email` normalised (`LoginEmail`). Limited per client address (a 429, which
    tells nothing of the account) and, silently, per account (`codes_per_hour`)."""
    now = utcnow()
    window = timedelta(seconds=settings.code_window_seconds)
    async with database.transaction() as conn:
        await ratelimit.serialise(conn, ratelimit.CODES, client)
        limit = ratelimit.attempts(ratelimit.RESET, client, settings.code_requests_per_client)
        wait = await ratelimit.retry_after(conn, [limit], now, window)
        if wait is not None:
            raise ratelimit.too_many("password resets from this address", wait, "too-many-resets")
        await ratelimit.record_attempt(conn, ratelimit.RESET, client, now, window)
        # The account's row is held: parallel requests for one address count its codes
        # in turn, so none gets past `codes_per_hour`.
        account = (
            await conn.execute(
                sa.select(_users.c.id, _users.c.display_name)
                .where(_users.c.email == email, _users.c.email_verified_at.is_not(None))
                .with_for_update()
            )
        ).first()
        issued = None
        if account is not None:
            issued = await codes.issue(
                conn,
                account.id,
                CodePurpose.reset,
                timedelta(minutes=settings.reset_code_minutes),
                settings.codes_per_hour,
                now,
            )
    if account is not None and issued is not None and issued.code is not None:
        mailer.send_later(
            messages.password_reset(settings, email, account.display_name, issued.code)
        )


async def confirm_reset(
    database: Database,
    passwords: Passwords,
    mailer: Mailer,
    code: str,
    password: str,
    client: str,
    settings: Settings,
) -> None:
    """The code is checked, then the password hashed outside any transaction, then the
    code spent with the password set in one: of two confirms racing with one code, one
    sets its password and the other gets the 422. A code that works is never refused by
    the limit on wrong ones: others behind the same address cannot lock its owner out."""
    with passwords.place() as place:
        async with database.transaction() as conn:
            known = await codes.holder(conn, code, CodePurpose.reset, utcnow())
            if known is None:
                await check_code_limit(conn, client, settings)
        if known is None:
            raise await wrong_code(database, client, settings)
        password_hash = await place.hash(password)
    now = utcnow()
    async with database.transaction() as conn:
        user_id = await codes.spend(conn, code, CodePurpose.reset, now)
        account = None
        if user_id is not None:
            account = (
                await conn.execute(
                    sa.update(_users)
                    .where(_users.c.id == user_id)
                    .values(password_hash=password_hash, updated_at=now)
                    .returning(_users.c.email, _users.c.display_name)
                )
            ).first()
            # Every login ends: each refresh token is revoked (access tokens expire
            # within `ACCESS_TOKEN_MINUTES`), and the old password's failures are moot.
            await conn.execute(
                sa.update(_tokens)
                .where(_tokens.c.user_id == user_id, _tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            if account is not None:
                await conn.execute(
                    sa.delete(ratelimit.FAILURES).where(ratelimit.FAILURES.c.email == account.email)
                )
    if account is None:
        raise await wrong_code(database, client, settings)
    mailer.send_later(messages.password_changed(settings, account.email, account.display_name))
