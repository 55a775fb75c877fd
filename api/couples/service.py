"""Couples: creation with an invite, joining, reading and settings."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.conditional import content_tag_of
from api.core.db import insert_or_skip
from api.core.deps import account_gone
from api.core.errors import Problem, not_found
from api.core.security import digest, new_invite_code, normalise_invite_code
from api.core.sql import Statement
from api.core.versions import refuse_stale
from models.base import utcnow
from models.couple import (
    Couple,
    CoupleCreate,
    CoupleInvite,
    CoupleMember,
    CouplePublic,
    CoupleUpdate,
    InvitePublic,
    PartnerProfile,
    Weights,
)
from models.user import LoveLanguages, User
from models.vocabulary import AccountType

_couples: sa.Table = Couple.__table__  # type: ignore[attr-defined]
_members: sa.Table = CoupleMember.__table__  # type: ignore[attr-defined]
_invites: sa.Table = CoupleInvite.__table__  # type: ignore[attr-defined]
_users: sa.Table = User.__table__  # type: ignore[attr-defined]

# Every couple path asks this first: a driver statement (api/core/sql.py).
_PARTNERS = Statement(
    "SELECT user_id FROM couple_members WHERE couple_id = :couple_id ORDER BY slot",
    {"couple_id": _members.c.couple_id.type},
    {"user_id": _members.c.user_id.type},
)


async def partner_ids(conn: AsyncConnection, couple_id: uuid.UUID) -> list[uuid.UUID]:
    return [row["user_id"] for row in await _PARTNERS.fetch(conn, couple_id=couple_id)]


# `partner_ids` and `refuse_dissolved` in one driver statement, for a write on its hot
# path. The caller's membership is in the WHERE so that only a partner's request takes
# the couple's row, as when the two ran in turn. SQLite has no FOR SHARE (nor needs it:
# one writer at a time).
_HELD_PARTNERS = {
    dialect: Statement(
        f"""
        SELECT m.user_id, c.dissolved_at IS NOT NULL AS dissolved
        FROM couples AS c JOIN couple_members AS m ON m.couple_id = c.id
        WHERE c.id = :couple_id
          AND EXISTS (SELECT 1 FROM couple_members
                      WHERE couple_id = :couple_id AND user_id = :caller_id)
        ORDER BY m.slot
        {lock}
        """,
        {"couple_id": _members.c.couple_id.type, "caller_id": _members.c.user_id.type},
        {"user_id": _members.c.user_id.type, "dissolved": sa.Boolean()},
    )
    for dialect, lock in (("postgresql", "FOR SHARE OF c"), ("sqlite", ""))
}


async def held_partner_ids(
    conn: AsyncConnection, couple_id: uuid.UUID, caller_id: uuid.UUID
) -> list[uuid.UUID]:
    """The couple's partners in join order, when the caller is one (else the 404 of
    `couple_partners`, api/couples/access.py) and the couple is not dissolved (else
    409). On PostgreSQL the couple's row is then held as `refuse_dissolved` holds it."""
    rows = await _HELD_PARTNERS[conn.dialect.name].fetch(
        conn, couple_id=couple_id, caller_id=caller_id
    )
    if not rows:
        raise not_found("couple")
    if rows[0]["dissolved"]:
        raise dissolved()
    return [row["user_id"] for row in rows]


def _only_partners(account_type: str) -> None:
    if account_type != AccountType.partner:
        raise Problem(403, "Only partner accounts create or join couples.", code="partners-only")


def _partner(row: Any, caller_id: uuid.UUID) -> PartnerProfile:
    """A partner as `caller_id` sees them: the caller's own profile always, the other
    partner's only while that partner shares it (`share_profile`, set on `PATCH /me`)."""
    if row.id != caller_id and not row.share_profile:
        return PartnerProfile(
            id=row.id, display_name=row.display_name, love_languages=None, attachment_style=None
        )
    # Accounts written before the lists existed may store `{}`: empty lists, as on /me.
    stored = {"give": [], "receive": [], **(row.love_languages or {})}
    return PartnerProfile(
        id=row.id,
        display_name=row.display_name,
        love_languages=LoveLanguages.model_validate(stored),
        attachment_style=row.attachment_style,
    )


async def _public_couples(
    conn: AsyncConnection, couple_ids: Sequence[uuid.UUID], caller_id: uuid.UUID
) -> list[CouplePublic]:
    if not couple_ids:
        return []
    couples = (
        await conn.execute(
            sa.select(_couples)
            .where(_couples.c.id.in_(couple_ids))
            .order_by(_couples.c.created_at, _couples.c.id)
        )
    ).all()
    # Every partner of every couple asked for, in one query.
    partner_rows = await conn.execute(
        sa.select(
            _members.c.couple_id,
            _users.c.id,
            _users.c.display_name,
            _users.c.love_languages,
            _users.c.attachment_style,
            _users.c.share_profile,
        )
        .join(_users, _users.c.id == _members.c.user_id)
        .where(_members.c.couple_id.in_(couple_ids))
        .order_by(_members.c.couple_id, _members.c.slot)
    )
    partners: dict[uuid.UUID, list[PartnerProfile]] = defaultdict(list)
    for row in partner_rows:
        partners[row.couple_id].append(_partner(row, caller_id))
    return [_public(row, partners[row.id]) for row in couples]


def _public(row: Any, partners: list[PartnerProfile]) -> CouplePublic:
    return CouplePublic(
        id=row.id,
        name=row.name,
        timezone=row.timezone,
        week_starts=row.week_starts,
        partners=partners,
        weights=Weights.of(row._mapping),
        created_at=row.created_at,
        dissolved_at=row.dissolved_at,
    )


async def get_couple(
    conn: AsyncConnection, couple_id: uuid.UUID, caller_id: uuid.UUID
) -> CouplePublic:
    """The couple as `caller_id`, one of its partners, sees it."""
    found = await _public_couples(conn, [couple_id], caller_id)
    if not found:
        raise not_found("couple")
    return found[0]


async def list_couples(conn: AsyncConnection, user_id: uuid.UUID) -> list[CouplePublic]:
    ids = (
        await conn.scalars(sa.select(_members.c.couple_id).where(_members.c.user_id == user_id))
    ).all()
    return await _public_couples(conn, ids, user_id)


async def create_couple(
    conn: AsyncConnection,
    user_id: uuid.UUID,
    account_type: str,
    data: CoupleCreate,
    invite_hours: int,
) -> tuple[CouplePublic, InvitePublic]:
    _only_partners(account_type)
    user_timezone = await conn.scalar(sa.select(_users.c.timezone).where(_users.c.id == user_id))
    if user_timezone is None:
        raise account_gone()
    couple_id = uuid.uuid4()
    now = utcnow()
    await conn.execute(
        sa.insert(_couples).values(
            id=couple_id,
            name=data.name,
            timezone=data.timezone or user_timezone,
            created_at=now,
            updated_at=now,
        )
    )
    await conn.execute(sa.insert(_members).values(couple_id=couple_id, user_id=user_id, slot=1))
    invite = await _new_invite(conn, couple_id, user_id, invite_hours)
    return await get_couple(conn, couple_id, user_id), invite


async def _new_invite(
    conn: AsyncConnection, couple_id: uuid.UUID, user_id: uuid.UUID, invite_hours: int
) -> InvitePublic:
    now = utcnow()
    # One live code per couple: a new one retires the ones handed out before.
    await conn.execute(
        sa.update(_invites)
        .where(
            _invites.c.couple_id == couple_id,
            _invites.c.used_at.is_(None),
            _invites.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    code = new_invite_code()
    expires_at = now + timedelta(hours=invite_hours)
    await conn.execute(
        sa.insert(_invites).values(
            couple_id=couple_id,
            code_hash=digest(normalise_invite_code(code)),
            created_by=user_id,
            expires_at=expires_at,
        )
    )
    return InvitePublic(code=code, expires_at=expires_at)


def dissolved() -> Problem:
    return Problem(
        409,
        "This couple was dissolved when a partner erased their account: it keeps its "
        "record, and takes nothing new.",
        code="couple-dissolved",
    )


async def refuse_dissolved(
    conn: AsyncConnection, couple_id: uuid.UUID, *, hold: bool = True
) -> None:
    """A 409 for a dissolved couple. With `hold`, on PostgreSQL, the couple's row is then
    held in share mode until the transaction ends, the lock every write of the couple
    takes first: a dissolution (api/users/erasure.py) waits for this write to commit,
    or this write waits for the dissolution and then sees it. Without it, for a caller
    that holds the row already, or for whom a plain read is enough."""
    query = sa.select(_couples.c.dissolved_at).where(_couples.c.id == couple_id)
    if await conn.scalar(query.with_for_update(read=True) if hold else query) is not None:
        raise dissolved()


async def new_invite(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    user_id: uuid.UUID,
    partners: list[uuid.UUID],
    invite_hours: int,
) -> InvitePublic:
    # A plain read: a dissolved couple is full in any case, and a join that takes the
    # couple's row must not wait for an invite that holds it.
    await refuse_dissolved(conn, couple_id, hold=False)
    if len(partners) >= 2:
        raise Problem(409, "This couple already has two partners.", code="couple-full")
    return await _new_invite(conn, couple_id, user_id, invite_hours)


async def join(
    conn: AsyncConnection, user_id: uuid.UUID, account_type: str, code: str
) -> CouplePublic:
    _only_partners(account_type)
    now = utcnow()
    invite = (
        await conn.execute(
            sa.select(_invites).where(_invites.c.code_hash == digest(normalise_invite_code(code)))
        )
    ).first()
    unknown = Problem(404, "No such invite code, or it has expired or been used.", code="not-found")
    if invite is None:
        raise unknown
    partners = await partner_ids(conn, invite.couple_id)
    # Before the code's own state: a retried join (its answer lost) says what happened.
    if user_id in partners:
        raise Problem(409, "You are already a partner of this couple.", code="already-partner")
    if invite.used_at is not None or invite.revoked_at is not None or invite.expires_at <= now:
        raise unknown
    if len(partners) >= 2:
        raise Problem(409, "This couple already has two partners.", code="couple-full")
    claimed = await conn.execute(
        sa.update(_invites)
        .where(_invites.c.id == invite.id, _invites.c.used_at.is_(None))
        .values(used_at=now)
    )
    # The account of the token may be gone (erased) while the token lives on.
    account = await conn.scalar(
        sa.select(_users.c.id).where(_users.c.id == user_id).with_for_update(key_share=True)
    )
    if account is None:
        raise account_gone()
    joined = await conn.execute(
        insert_or_skip(conn, _members)
        .values(couple_id=invite.couple_id, user_id=user_id, slot=2, joined_at=now)
        .returning(_members.c.user_id)
    )
    # Both guards lose only to a concurrent join of the same couple.
    if claimed.rowcount != 1 or joined.first() is None:
        raise Problem(409, "This couple already has two partners.", code="couple-full")
    await partners_changed(conn, [invite.couple_id])
    return await get_couple(conn, invite.couple_id, user_id)


async def partners_changed(conn: AsyncConnection, couple_ids: Sequence[uuid.UUID]) -> None:
    """A partner joined, or changed what the couple shows of them: each couple takes
    this write's place in the changes feed (its `change_seq`, alembic/versions/0008)."""
    if couple_ids:
        # Taken in the order of their ids, as every write of several couples takes
        # them (api/bids/service.py), so that two such writes cannot deadlock.
        await conn.execute(
            sa.select(_couples.c.id)
            .where(_couples.c.id.in_(couple_ids))
            .order_by(_couples.c.id)
            .with_for_update(key_share=True)
        )
        await conn.execute(
            sa.update(_couples)
            .where(_couples.c.id.in_(couple_ids))
            .values(change_seq=_couples.c.change_seq)
        )


async def update_couple(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    caller_id: uuid.UUID,
    data: CoupleUpdate,
    if_match: str | None = None,
) -> CouplePublic:
    """The change applied, and the couple as the caller sees it. With `if_match`, only
    to the couple as read (its content tag): the row is held from the check on."""
    if if_match is not None:
        await conn.execute(
            sa.select(_couples.c.id)
            .where(_couples.c.id == couple_id)
            .with_for_update(key_share=True)
        )
        current = await get_couple(conn, couple_id, caller_id)
        refuse_stale(if_match, content_tag_of(current), "couple")
    changes: dict[str, Any] = data.model_dump(mode="json", exclude_unset=True, exclude={"weights"})
    if data.weights is not None:
        changes.update(
            {
                f"weight_{name}": value
                for name, value in data.weights.model_dump(exclude_unset=True).items()
            }
        )
    if not changes:
        return await get_couple(conn, couple_id, caller_id)
    # A new time zone or week start moves every bid's week: a trigger on `couples`
    # counts them again in this transaction (alembic/versions/0006).
    await conn.execute(
        sa.update(_couples).where(_couples.c.id == couple_id).values(**changes, updated_at=utcnow())
    )
    return await get_couple(conn, couple_id, caller_id)
