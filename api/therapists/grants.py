"""Each partner's grant of access to a therapist account, its revocation, and the
therapist's answer to a couple whose two partners both granted it."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.db import insert_or_skip
from api.core.errors import Problem, invalid, not_found
from api.couples.service import refuse_dissolved
from models.base import utcnow
from models.couple import Couple
from models.export import GrantReceived
from models.therapist import Answer, GrantPublic, GrantStatus, TherapistGrant
from models.user import User
from models.vocabulary import AccountType

_grants: sa.Table = TherapistGrant.__table__  # type: ignore[attr-defined]
_users: sa.Table = User.__table__  # type: ignore[attr-defined]
_couples: sa.Table = Couple.__table__  # type: ignore[attr-defined]

# A grant goes with its partner's membership, so a couple has at most two. Access needs
# both, each with the therapist's answer `accepted` (written on both at once): the
# access log's checks and the caseload read count the same, in SQL.
BOTH = 2
ACCEPTED = Answer.accepted.value


def status_of(answers: Sequence[str | None]) -> GrantStatus:
    """The status of a couple's grants for one therapist, from each grant's answer. A
    grant given after the therapist answered (a new partner's) has none: the couple
    awaits the therapist again. Access is `active` only while both grants say
    `accepted`."""
    if len(answers) < BOTH:
        return GrantStatus.pending
    if None in answers:
        return GrantStatus.awaiting_therapist
    if all(answer == Answer.accepted for answer in answers):
        return GrantStatus.active
    return GrantStatus.declined


def awaiting(therapist_id: uuid.UUID) -> sa.Select[Any]:
    """The couples awaiting the therapist's answer (as `status_of` has them: both
    grants, one at least unanswered), each with the time its last grant was given."""
    return (
        sa.select(_grants.c.couple_id, sa.func.max(_grants.c.granted_at).label("invited_at"))
        .where(_grants.c.therapist_id == therapist_id)
        .group_by(_grants.c.couple_id)
        .having(sa.func.count() == BOTH, sa.func.count(_grants.c.answer) < BOTH)
    )


NOT_A_THERAPIST = "is not the verified email of a therapist account on Toward"


async def _take_turn(conn: AsyncConnection, couple_id: uuid.UUID) -> None:
    """Grants, revocations and answers of one couple take turns: the second of two
    concurrent grants sees the first, a revocation never misses a grant given while it
    ran, and an answer is written on both grants or on none."""
    await conn.execute(
        sa.select(_couples.c.id).where(_couples.c.id == couple_id).with_for_update(key_share=True)
    )


_ANSWERED = (_grants.c.partner_id, _grants.c.granted_at, _grants.c.answer, _grants.c.answered_at)


def _of_couple(couple_id: uuid.UUID, therapist_id: uuid.UUID) -> sa.ColumnElement[bool]:
    return sa.and_(_grants.c.couple_id == couple_id, _grants.c.therapist_id == therapist_id)


async def _answers(
    conn: AsyncConnection, couple_id: uuid.UUID, therapist_id: uuid.UUID
) -> list[Any]:
    """The couple's grants for the therapist, with the therapist's answer."""
    return list(
        await conn.execute(sa.select(*_ANSWERED).where(_of_couple(couple_id, therapist_id)))
    )


async def grant(
    conn: AsyncConnection,
    couple_id: uuid.UUID,
    partner_id: uuid.UUID,
    email: str,
    *,
    invitations_limit: int,
) -> tuple[GrantPublic, bool]:
    """The caller's grant to the therapist account with this email (normalised, as
    `EmailAddress` gives it), and whether it is new (a partner who granted already
    changes nothing). A grant that would make the couple one more than
    `invitations_limit` awaiting the therapist is a 409, and writes nothing. A dissolved
    couple grants no one (409), checked once its turn is taken: a dissolution under way
    is waited for."""
    await _take_turn(conn, couple_id)
    await refuse_dissolved(conn, couple_id, hold=False)
    # Grants to one therapist take turns too, on its account's row (in a mode that
    # still lets other rows refer to it): the couples awaiting it, counted below, are
    # all those whose grants committed before.
    therapist_id = await conn.scalar(
        sa.select(_users.c.id)
        .where(
            _users.c.email == email,
            _users.c.account_type == AccountType.therapist,
            # A therapist is who the address says only once the address is proven.
            _users.c.email_verified_at.is_not(None),
        )
        .with_for_update(key_share=True)
    )
    if therapist_id is None:
        # The same answer for an unknown email, a partner's and an unverified therapist's:
        # it tells nobody whether an account exists.
        raise invalid("email", NOT_A_THERAPIST)
    given = [row.partner_id for row in await _answers(conn, couple_id, therapist_id)]
    if partner_id not in given and len(given) == BOTH - 1:
        await _room_for_one_more(conn, therapist_id, invitations_limit)
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


async def _room_for_one_more(conn: AsyncConnection, therapist_id: uuid.UUID, limit: int) -> None:
    waiting = await conn.scalar(
        sa.select(sa.func.count()).select_from(awaiting(therapist_id).subquery())
    )
    if waiting is not None and waiting >= limit:
        raise Problem(
            409,
            "This therapist has as many couples awaiting an answer as it may have: ask "
            "again once the therapist has answered some of them.",
            code="therapist-invitations-full",
        )


async def grants(
    conn: AsyncConnection, couple_id: uuid.UUID, therapist_id: uuid.UUID | None = None
) -> list[GrantPublic]:
    """The couple's grants by therapist, in the order they were first given."""
    query = (
        sa.select(
            _grants.c.therapist_id,
            _grants.c.partner_id,
            _grants.c.granted_at,
            _grants.c.answer,
            _grants.c.answered_at,
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


def answered_at(rows: Sequence[Any], status: GrantStatus) -> datetime | None:
    """When the therapist gave the answer that `status` is (both grants hold it)."""
    if status in (GrantStatus.active, GrantStatus.declined):
        answered: datetime = rows[0].answered_at
        return answered
    return None


def _public(rows: list[Any]) -> GrantPublic:
    first = rows[0]
    status = status_of([row.answer for row in rows])
    answered = answered_at(rows, status)
    return GrantPublic(
        therapist_id=first.therapist_id,
        display_name=first.display_name,
        email=first.email,
        status=status,
        granted_by=[row.partner_id for row in rows],
        active_since=answered if status == GrantStatus.active else None,
        answered_at=answered,
    )


async def received(conn: AsyncConnection, therapist_id: uuid.UUID) -> list[GrantReceived]:
    """The couples whose two partners granted the therapist access, in the order the
    second grant came, with the status of that access (awaiting the therapist's answer,
    active or declined): what the invitations and the caseload list, without names or
    figures. A single partner's grant is not the therapist's to know of."""
    rows = await conn.execute(
        sa.select(
            _grants.c.couple_id, _grants.c.answer, _grants.c.answered_at, _grants.c.granted_at
        )
        .where(_grants.c.therapist_id == therapist_id)
        .order_by(_grants.c.couple_id)
    )
    by_couple: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        by_couple.setdefault(row.couple_id, []).append(row)
    both = []
    for couple_id, grants in by_couple.items():
        if len(grants) == BOTH:
            status = status_of([row.answer for row in grants])
            both.append(
                GrantReceived(
                    couple_id=couple_id,
                    status=status,
                    granted_at=max(row.granted_at for row in grants),
                    answered_at=answered_at(grants, status),
                )
            )
    return sorted(both, key=lambda grant: (grant.granted_at, grant.couple_id))


async def _verified(conn: AsyncConnection, user_id: uuid.UUID) -> bool:
    verified_at = await conn.scalar(
        sa.select(_users.c.email_verified_at).where(_users.c.id == user_id)
    )
    return verified_at is not None


async def revoke(conn: AsyncConnection, couple_id: uuid.UUID, therapist_id: uuid.UUID) -> None:
    """Both partners' grants go, and the therapist's answer with them: access ends, and
    to have it again both must grant and the therapist accept."""
    await _take_turn(conn, couple_id)
    deleted = await conn.execute(sa.delete(_grants).where(_of_couple(couple_id, therapist_id)))
    if deleted.rowcount == 0:
        raise not_found("therapist grant")


async def answer(
    conn: AsyncConnection, couple_id: uuid.UUID, therapist_id: uuid.UUID, given: Answer
) -> tuple[GrantStatus, list[Any]]:
    """The therapist's answer, written on both of the couple's grants: the status it
    leaves, and the grants as they then are. A couple without both partners' grants for
    the therapist is a 404; an answer given already changes nothing; accepting a couple
    declined is a 409 (its partners must grant again)."""
    await _take_turn(conn, couple_id)
    rows = await _answers(conn, couple_id, therapist_id)
    status = status_of([row.answer for row in rows])
    if status == GrantStatus.pending:
        raise not_found("invitation")
    wanted = GrantStatus.active if given == Answer.accepted else GrantStatus.declined
    if status == wanted:
        return status, rows
    if given == Answer.accepted and not await _verified(conn, therapist_id):
        # Accounts made before addresses were verified have grants awaiting them: none
        # is accepted until the therapist proves the address is theirs.
        raise Problem(
            409,
            "Verify your email address first (POST /auth/verify-email): only then can "
            "you accept a couple.",
            code="email-unverified",
        )
    if status == GrantStatus.declined:
        raise Problem(
            409,
            "This couple was declined: to be accepted, its partners must revoke the grant "
            "and grant access again.",
            code="invitation-declined",
        )
    answered = await conn.execute(
        sa.update(_grants)
        .where(_of_couple(couple_id, therapist_id))
        .values(answer=given.value, answered_at=utcnow())
        .returning(*_ANSWERED)
    )
    return wanted, list(answered)
