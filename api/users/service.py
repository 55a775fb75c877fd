"""Accounts: creation, reading and the caller's own changes."""

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.conditional import content_tag_of
from api.core.db import insert_or_skip
from api.core.versions import refuse_stale
from api.couples.service import partners_changed
from models.base import utcnow
from models.couple import CoupleMember
from models.export import Account
from models.user import User, UserCreate, UserPublic, UserUpdate

_users: sa.Table = User.__table__  # type: ignore[attr-defined]
_members: sa.Table = CoupleMember.__table__  # type: ignore[attr-defined]

_PUBLIC_COLUMNS = (
    _users.c.id,
    _users.c.email,
    _users.c.email_verified_at,
    _users.c.display_name,
    _users.c.timezone,
    _users.c.account_type,
    _users.c.love_languages,
    _users.c.attachment_style,
    _users.c.share_profile,
)


def _values(row: Any) -> dict[str, Any]:
    # Decided here, not in SQL: SQLite (3.40) answers `IS NOT NULL` wrongly in the
    # RETURNING of an insert, for a column the insert leaves out.
    values = dict(row._mapping)
    values["email_verified"] = values.pop("email_verified_at") is not None
    return values


def _public(row: Any) -> UserPublic:
    return UserPublic.model_validate(_values(row))


async def email_taken(conn: AsyncConnection, email: str) -> bool:
    found = await conn.scalar(sa.select(_users.c.id).where(_users.c.email == email))
    return found is not None


async def create_user(
    conn: AsyncConnection, data: UserCreate, password_hash: str
) -> UserPublic | None:
    """The new account, or None when its email is taken."""
    values = {
        "id": uuid.uuid4(),
        "email": data.email,
        "password_hash": password_hash,
        "display_name": data.display_name,
        "timezone": data.timezone,
        "account_type": data.account_type.value,
        "love_languages": {"give": [], "receive": []},
    }
    row = (
        await conn.execute(insert_or_skip(conn, _users).values(values).returning(*_PUBLIC_COLUMNS))
    ).first()
    return _public(row) if row else None


async def get_user(
    conn: AsyncConnection, user_id: uuid.UUID, *, lock: bool = False
) -> UserPublic | None:
    """The account; with `lock`, its row held until the transaction ends (a change
    checked against it applies to it as read)."""
    query = sa.select(*_PUBLIC_COLUMNS).where(_users.c.id == user_id)
    # No key update: a concurrent write that refers to the account (a bid's foreign keys)
    # goes on beside it.
    locked = query.with_for_update(key_share=True)
    row = (await conn.execute(locked if lock else query)).first()
    return _public(row) if row else None


async def get_account(conn: AsyncConnection, user_id: uuid.UUID) -> Account | None:
    """The account as `get_user` reads it, and when it was made."""
    row = (
        await conn.execute(
            sa.select(*_PUBLIC_COLUMNS, _users.c.created_at).where(_users.c.id == user_id)
        )
    ).first()
    return Account.model_validate(_values(row)) if row else None


async def update_user(
    conn: AsyncConnection, user_id: uuid.UUID, data: UserUpdate, if_match: str | None = None
) -> UserPublic | None:
    """The account changed (None: it is gone). With `if_match`, only the account as read
    (its content tag): the row is held from the check on."""
    if if_match is not None:
        current = await get_user(conn, user_id, lock=True)
        if current is None:
            return None
        refuse_stale(if_match, content_tag_of(current), "account")
    changes = data.model_dump(mode="json", exclude_unset=True)
    if data.love_languages is not None:
        # Each list given replaces that list; the one left out stays as it was.
        stored = await conn.scalar(sa.select(_users.c.love_languages).where(_users.c.id == user_id))
        given = data.love_languages.model_dump(mode="json", exclude_unset=True)
        changes["love_languages"] = {"give": [], "receive": [], **(stored or {}), **given}
    if not changes:
        return await get_user(conn, user_id)
    row = (
        await conn.execute(
            sa.update(_users)
            .where(_users.c.id == user_id)
            .values(**changes, updated_at=utcnow())
            .returning(*_PUBLIC_COLUMNS)
        )
    ).first()
    if row is None:
        return None
    couples = await conn.scalars(
        sa.select(_members.c.couple_id).where(_members.c.user_id == user_id)
    )
    await partners_changed(conn, couples.all())
    return _public(row)
