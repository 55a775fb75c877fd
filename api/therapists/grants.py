"""Each partner's grant of access to a therapist account, and its revocation."""

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.db import insert_or_skip
from api.core.errors import invalid, not_found
from api.couples.service import refuse_dissolved
from models.base import utcnow
from models.couple import Couple
from models.therapist import GrantPublic, GrantStatus, TherapistGrant
from models.user import User
from models.vocabulary import AccountType

_grants: sa.Table = TherapistGrant.__table__  # type: ignore[attr-defined]
_users: sa.Table = User.__table__  # type: ignore[attr-defined]
_couples: sa.Table = Couple.__table__  # type: ignore[attr-defined]

# A grant goes with its partner's membership, so a couple has at most two: access
# needs both. The access log's check and the caseload read count the same.
BOTH = 2


NOT_A_THERAPIST = "is not the verified email of a therapist account on Toward"


async def _take_turn(conn: AsyncConnection, couple_id: uuid.UUID) -> None:
    """Grants and revocations of one couple take turns: the second of two concurrent
    grants sees the first and answers `active`, and a revocation never misses a grant
    given while it ran."""
    await conn.execute(
        sa.select(_couples.c.id).where(_couples.c.id == couple_id).with_for_update(key_share=True)
    )


async def grant(
    conn: AsyncConnection, couple_id: uuid.UUID, partner_id: uuid.UUID, email: str
) -> tuple[GrantPublic, bool]:
    """The caller's grant to the therapist account with this email (normalised, as
    `EmailAddress` gives it), and whether it is new (a partner who granted already
    changes nothing). A dissolved couple grants no one (409), checked once its turn is
    taken: a dissolution under way is waited for."""
    await _take_turn(conn, couple_id)
    await refuse_dissolved(conn, couple_id, hold=False)
    therapist_id = await conn.scalar(
        sa.select(_users.c.id).where(
            _users.c.email == email,
            _users.c.account_type == AccountType.therapist,
            # A therapist is who the address says only once the address is proven.
            _users.c.email_verified_at.is_not(None),
        )
    )
    if therapist_id is None:
        # The same answer for an unknown email, a partner's and an unverified therapist's:
        # it tells nobody whether an account exists.
        raise invalid("email", NOT_A_THERAPIST)
    inserted = await conn.execute(
        insert_or_skip(conn, _grants)
        .values(
            couple_id=couple_id,
            therapist_id=therapist_id,
            partner_id=partner_id,
            granted_at=utcnow(),
        )
        .returning(_grants.c.therapist_id)
    )
    created = inserted.first() is not None
    (found,) = await grants(conn, couple_id, therapist_id)
    return found, created


async def grants(
    conn: AsyncConnection, couple_id: uuid.UUID, therapist_id: uuid.UUID | None = None
) -> list[GrantPublic]:
    """The couple's grants by therapist, in the order they were first given."""
    query = (
        sa.select(
            _grants.c.therapist_id,
            _grants.c.partner_id,
            _grants.c.granted_at,
            _users.c.display_name,
            _users.c.email,
        )
        .join(_users, _users.c.id == _grants.c.therapist_id)
        .where(_grants.c.couple_id == couple_id)
        .order_by(_grants.c.granted_at, _grants.c.partner_id)
    )
    if therapist_id is not None:
        query = query.where(_grants.c.therapist_id == therapist_id)
    by_therapist: dict[uuid.UUID, list[Any]] = {}
    for row in await conn.execute(query):
        by_therapist.setdefault(row.therapist_id, []).append(row)
    return [_public(rows) for rows in by_therapist.values()]


def _public(rows: list[Any]) -> GrantPublic:
    first = rows[0]
    active = len(rows) == BOTH
    return GrantPublic(
        therapist_id=first.therapist_id,
        display_name=first.display_name,
        email=first.email,
        status=GrantStatus.active if active else GrantStatus.pending,
        granted_by=[row.partner_id for row in rows],
        active_since=rows[-1].granted_at if active else None,
    )


async def revoke(conn: AsyncConnection, couple_id: uuid.UUID, therapist_id: uuid.UUID) -> None:
    """Both partners' grants go: access ends, and to have it again both must grant."""
    await _take_turn(conn, couple_id)
    deleted = await conn.execute(
        sa.delete(_grants).where(
            _grants.c.couple_id == couple_id, _grants.c.therapist_id == therapist_id
        )
    )
    if deleted.rowcount == 0:
        raise not_found("therapist grant")
