"""Codes mailed to an account's address: 20 letters and digits (100 random bits, so
nobody guesses one), stored as a SHA-256 hash, each used once and only until it
expires."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.security import INVITE_ALPHABET, digest, normalise_invite_code
from models.email_code import CodePurpose, EmailCode

CODES: sa.Table = EmailCode.__table__  # type: ignore[attr-defined]

CODE_LENGTH = 20
# How far back an account's codes are counted against `codes_per_hour`.
COUNTED = timedelta(hours=1)


def new_code() -> str:
    raw = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[start : start + 5] for start in range(0, CODE_LENGTH, 5))


def code_hash(code: str) -> str:
    """Of the code as typed in any case, with or without its dashes."""
    return digest(normalise_invite_code(code))


@dataclass(frozen=True)
class Issued:
    """A new code, or the seconds until the account may be sent another."""

    code: str | None
    retry_after: int | None = None


async def issue(
    conn: AsyncConnection,
    user_id: uuid.UUID,
    purpose: CodePurpose,
    lifetime: timedelta,
    per_hour: int,
    now: datetime,
) -> Issued:
    """A code for `purpose`, unless the account was sent `per_hour` of them in the last
    hour: nobody can fill an inbox by asking. Earlier codes keep working until they
    expire (a message may arrive late)."""
    recent = CODES.c.created_at > now - COUNTED
    oldest = await conn.scalar(
        sa.select(CODES.c.created_at)
        .where(CODES.c.user_id == user_id, CODES.c.purpose == purpose, recent)
        .order_by(CODES.c.created_at.desc())
        .offset(per_hour - 1)
        .limit(1)
    )
    if oldest is not None:
        return Issued(None, max(1, ceil((oldest + COUNTED - now).total_seconds())))
    code = new_code()
    await conn.execute(
        sa.insert(CODES).values(
            id=uuid.uuid4(),
            user_id=user_id,
            purpose=purpose,
            code_hash=code_hash(code),
            expires_at=now + lifetime,
            created_at=now,
        )
    )
    return Issued(code)


async def holder(
    conn: AsyncConnection, code: str, purpose: CodePurpose, now: datetime
) -> uuid.UUID | None:
    """The account a live code of `purpose` was sent to, leaving the code as it is."""
    return await conn.scalar(
        sa.select(CODES.c.user_id).where(
            CODES.c.code_hash == code_hash(code),
            CODES.c.purpose == purpose,
            CODES.c.expires_at > now,
        )
    )


async def spend(
    conn: AsyncConnection, code: str, purpose: CodePurpose, now: datetime
) -> uuid.UUID | None:
    """The account whose live code this is, with every code of that account for
    `purpose` gone (a code works once, and the others are moot); None for a code that is
    unknown, expired, of another purpose, or spent."""
    user_id = await conn.scalar(
        sa.delete(CODES)
        .where(
            CODES.c.code_hash == code_hash(code),
            CODES.c.purpose == purpose,
            CODES.c.expires_at > now,
        )
        .returning(CODES.c.user_id)
    )
    if user_id is not None:
        await conn.execute(
            sa.delete(CODES).where(CODES.c.user_id == user_id, CODES.c.purpose == purpose)
        )
    return user_id


async def prune(conn: AsyncConnection, now: datetime) -> None:
    """Codes that work no more, once they no longer count against `codes_per_hour`."""
    await conn.execute(
        sa.delete(CODES).where(CODES.c.expires_at <= now, CODES.c.created_at <= now - COUNTED)
    )
