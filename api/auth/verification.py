"""Verified addresses: a code mailed at registration (and again on request) that the
owner sends back. A partner account works fully without; a therapist account can be
granted only once verified, and a password reset is mailed only to a verified address."""

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth import codes, messages, ratelimit
from api.core.db import Database
from api.core.deps import account_gone
from api.core.errors import Problem, invalid
from api.core.mail import Mailer
from api.core.settings import Settings
from models.base import utcnow
from models.email_code import CodePurpose, EmailVerified
from models.user import User

_users: sa.Table = User.__table__  # type: ignore[attr-defined]

WRONG_CODE = "is not a code that works: it may be mistyped, used already or expired"


async def issue_code(
    conn: AsyncConnection, user_id: uuid.UUID, settings: Settings, now: datetime
) -> codes.Issued:
    return await codes.issue(
        conn,
        user_id,
        CodePurpose.verify,
        timedelta(hours=settings.verify_code_hours),
        settings.codes_per_hour,
        now,
    )


def mail_code(mailer: Mailer, settings: Settings, email: str, code: str) -> None:
    """Once the code has committed: a message that came first could carry a code that
    does not work yet, or never will."""
    mailer.send_later(messages.verification(settings, email, code))


async def resend(
    database: Database, mailer: Mailer, user_id: uuid.UUID, settings: Settings
) -> None:
    async with database.transaction() as conn:
        account = (
            await conn.execute(
                sa.select(_users.c.email, _users.c.email_verified_at)
                .where(_users.c.id == user_id)
                .with_for_update()
            )
        ).first()
        if account is None:
            raise account_gone()
        if account.email_verified_at is not None:
            raise Problem(409, "This email address is verified already.", code="email-verified")
        issued = await issue_code(conn, user_id, settings, utcnow())
    if issued.code is None:
        assert issued.retry_after is not None
        raise ratelimit.too_many("codes sent to this address", issued.retry_after, "too-many-codes")
    mail_code(mailer, settings, account.email, issued.code)


async def check_code_limit(conn: AsyncConnection, client: str, settings: Settings) -> None:
    """A 429 once this address sent `code_requests_per_client` wrong codes in the
    window; the caller's attempts take turns, so a burst counts as a sequence would."""
    await ratelimit.serialise(conn, ratelimit.CODES, client)
    limit = ratelimit.attempts(ratelimit.WRONG_CODE, client, settings.code_requests_per_client)
    window = timedelta(seconds=settings.code_window_seconds)
    wait = await ratelimit.retry_after(conn, [limit], utcnow(), window)
    if wait is not None:
        raise ratelimit.too_many("wrong codes from this address", wait, "too-many-codes")


async def wrong_code(database: Database, client: str, settings: Settings) -> Problem:
    """The 422 for a code that does not work, counted against the client's address."""
    async with database.transaction() as conn:
        window = timedelta(seconds=settings.code_window_seconds)
        await ratelimit.record_attempt(conn, ratelimit.WRONG_CODE, client, utcnow(), window)
    return invalid("code", WRONG_CODE)


async def verify(database: Database, code: str, client: str, settings: Settings) -> EmailVerified:
    """A code that works is never refused by the limit on wrong ones: others behind the
    same address cannot lock its owner out, and with 100 bits a right code is no guess."""
    async with database.transaction() as conn:
        now = utcnow()
        user_id = await codes.spend(conn, code, CodePurpose.verify, now)
        email = None
        if user_id is None:
            await check_code_limit(conn, client, settings)
        else:
            email = await conn.scalar(
                sa.update(_users)
                .where(_users.c.id == user_id)
                .values(email_verified_at=sa.func.coalesce(_users.c.email_verified_at, now))
                .returning(_users.c.email)
            )
    if email is None:
        raise await wrong_code(database, client, settings)
    return EmailVerified(email=email, email_verified=True)
