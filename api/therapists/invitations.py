"""What a therapist sees of the couples that invited it, before and as it answers: the
partners' names and when they granted, never a figure."""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.therapists import grants
from models.couple import CoupleMember, PartnerPublic
from models.therapist import Answer, InvitationAnswer, InvitationPublic
from models.user import User

_members: sa.Table = CoupleMember.__table__  # type: ignore[attr-defined]
_users: sa.Table = User.__table__  # type: ignore[attr-defined]


async def _partners(
    conn: AsyncConnection, couple_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[PartnerPublic]]:
    """Each couple's partners by name, in the order they joined it."""
    found: dict[uuid.UUID, list[PartnerPublic]] = {couple_id: [] for couple_id in couple_ids}
    if not couple_ids:
        return found
    rows = await conn.execute(
        sa.select(_members.c.couple_id, _users.c.id, _users.c.display_name)
        .join(_users, _users.c.id == _members.c.user_id)
        .where(_members.c.couple_id.in_(couple_ids))
        .order_by(_members.c.couple_id, _members.c.slot)
    )
    for row in rows:
        found[row.couple_id].append(PartnerPublic(id=row.id, display_name=row.display_name))
    return found


async def awaiting(
    conn: AsyncConnection, therapist_id: uuid.UUID, limit: int
) -> list[InvitationPublic]:
    """The couples awaiting the therapist's answer, oldest invitation first: at most
    `limit` (no more are let in while that many wait)."""
    query = grants.awaiting(therapist_id)
    invited_at, couple_id = query.selected_columns.invited_at, query.selected_columns.couple_id
    waiting = list(await conn.execute(query.order_by(invited_at, couple_id).limit(limit)))
    partners = await _partners(conn, [row.couple_id for row in waiting])
    return [
        InvitationPublic(
            couple_id=row.couple_id, partners=partners[row.couple_id], invited_at=row.invited_at
        )
        for row in waiting
    ]


async def answer(
    conn: AsyncConnection, couple_id: uuid.UUID, therapist_id: uuid.UUID, given: Answer
) -> InvitationAnswer:
    """The therapist's answer to a couple whose partners both granted it access (a 404
    otherwise), as `grants.answer` writes it."""
    status, rows = await grants.answer(conn, couple_id, therapist_id, given)
    partners = await _partners(conn, [couple_id])
    return InvitationAnswer(
        couple_id=couple_id,
        partners=partners[couple_id],
        invited_at=max(row.granted_at for row in rows),
        status=status,
        answered_at=grants.answered_at(rows, status),
    )
