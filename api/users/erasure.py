"""Erasing an account (`DELETE /me`), all of it in one transaction. docs/privacy.md,
"Erasure", says what goes and what stays; this module is that list, and
tests/users/test_erase.py searches every table afterwards for what must be gone.

- Each of the account's couples: one with nobody else left in it (a couple its first
  partner never shared, or one dissolved before) goes whole; one with another partner
  is dissolved: it stays as that partner's record, and a stand-in account ("Former
  partner") takes the erased partner's place in its rows.
- Every change goes through statements the database's rules hear: the weekly rollups
  follow by their triggers (alembic/versions/0006, 0007), and every row changed takes
  the couple's next change sequence value (0008), so the remaining partner's changes
  feed and event streams see the changes, and the deletions as tombstones.
- Locks: the couples' rows first, in the order of their ids, as every write of a couple
  takes its row first (and several couples in that order); the account's own row last,
  so that a write of the other partner's waiting on the couple holds nothing this
  transaction needs."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.db import Database
from models.activity import Activity
from models.base import utcnow
from models.bid import Bid
from models.checkin import SCALE_MIN, Checkin, CheckinWeek
from models.couple import Couple, CoupleInvite, CoupleMember
from models.therapist import TherapistGrant
from models.token import LoginFailure
from models.trend import BidWeek
from models.user import User
from models.vocabulary import FORMER_PARTNER

_users: sa.Table = User.__table__  # type: ignore[attr-defined]
_couples: sa.Table = Couple.__table__  # type: ignore[attr-defined]
_members: sa.Table = CoupleMember.__table__  # type: ignore[attr-defined]
_invites: sa.Table = CoupleInvite.__table__  # type: ignore[attr-defined]
_grants: sa.Table = TherapistGrant.__table__  # type: ignore[attr-defined]
_bids: sa.Table = Bid.__table__  # type: ignore[attr-defined]
_checkins: sa.Table = Checkin.__table__  # type: ignore[attr-defined]
_activities: sa.Table = Activity.__table__  # type: ignore[attr-defined]
_bid_weeks: sa.Table = BidWeek.__table__  # type: ignore[attr-defined]
_checkin_weeks: sa.Table = CheckinWeek.__table__  # type: ignore[attr-defined]
_failures: sa.Table = LoginFailure.__table__  # type: ignore[attr-defined]

# The stand-in for an erased partner: this name, an address on the domain reserved
# never to resolve (RFC 2606), and a stored value that no password matches.
FORMER_NAME = "Former partner"
FORMER_DOMAIN = "erased.invalid"
NO_PASSWORD = "!"


async def erase_account(database: Database, user_id: uuid.UUID) -> list[uuid.UUID] | None:
    """Erase the account; the keys (couples, and a therapist's own id) whose reads this
    changed, for the worker to hear at once; None when the account is gone already."""
    async with database.transaction() as conn:
        email = await conn.scalar(sa.select(_users.c.email).where(_users.c.id == user_id))
        if email is None:
            return None
        now = utcnow()
        couples = (
            await conn.scalars(
                sa.select(_members.c.couple_id)
                .where(_members.c.user_id == user_id)
                .order_by(_members.c.couple_id)
            )
        ).all()
        heard: list[uuid.UUID] = list(couples)
        if couples:
            await conn.execute(
                sa.select(_couples.c.id)
                .where(_couples.c.id.in_(couples))
                .order_by(_couples.c.id)
                .with_for_update()
            )
        for couple_id in couples:
            others = (
                await conn.execute(
                    sa.select(_users.c.id, _users.c.account_type)
                    .join(_members, _members.c.user_id == _users.c.id)
                    .where(_members.c.couple_id == couple_id, _users.c.id != user_id)
                )
            ).all()
            if any(other.account_type != FORMER_PARTNER for other in others):
                heard += await _dissolve(conn, couple_id, user_id, now)
            else:
                await _delete_couple(conn, couple_id, [other.id for other in others])
        # A therapist's grants: its access ends. The couples' access logs keep its id and
        # name, as their record of who read their figures.
        granted = await conn.execute(
            sa.delete(_grants)
            .where(_grants.c.therapist_id == user_id)
            .returning(_grants.c.couple_id)
        )
        if granted.first() is not None:
            heard.append(user_id)
        await conn.execute(sa.delete(_failures).where(_failures.c.email == email))
        # Its refresh tokens and mailed codes go with it (ON DELETE CASCADE).
        await conn.execute(sa.delete(_users).where(_users.c.id == user_id))
    return heard


async def _delete_couple(
    conn: AsyncConnection, couple_id: uuid.UUID, stand_ins: Sequence[uuid.UUID]
) -> None:
    """The couple, and the stand-in of a partner erased before, go whole. Its bids,
    check-ins and activities first, while the couple is there for the triggers that
    count them away; then the couple with everything else of it (ON DELETE CASCADE):
    rollups, partners, invites, grants, access log, change sequence."""
    for table in (_bids, _checkins, _activities):
        await conn.execute(sa.delete(table).where(table.c.couple_id == couple_id))
    await conn.execute(sa.delete(_couples).where(_couples.c.id == couple_id))
    if stand_ins:
        await conn.execute(sa.delete(_users).where(_users.c.id.in_(stand_ins)))


def _replaced(column: sa.Column[Any], erased: uuid.UUID, value: Any) -> sa.ColumnElement[Any]:
    """`column`, where it holds `erased`, as `value` instead."""
    return sa.case((column == erased, sa.literal(value, column.type)), else_=column)


def _unless(condition: sa.ColumnElement[bool], column: sa.Column[Any], value: Any = None) -> Any:
    """`column`, but `value` (null by default) where `condition` holds."""
    return sa.case((condition, sa.literal(value, column.type)), else_=column)


async def _hand_over(
    conn: AsyncConnection,
    column: sa.Column[Any],
    whose: tuple[uuid.UUID, uuid.UUID, uuid.UUID, datetime],
    **changes: Any,
) -> None:
    """The rows of the couple whose `column` names the erased partner, with the
    stand-in there instead and `changes`, each as its next version. `whose`: the couple,
    the erased partner, the stand-in, now."""
    couple_id, erased, former, now = whose
    table = column.table
    await conn.execute(
        sa.update(table)
        .where(table.c.couple_id == couple_id, column == erased)
        .values({column.name: former, **changes, "version": table.c.version + 1, "updated_at": now})
    )


async def _dissolve(
    conn: AsyncConnection, couple_id: uuid.UUID, erased: uuid.UUID, now: datetime
) -> list[uuid.UUID]:
    """The couple stays with its other partner, as a record that takes nothing new. The
    therapists whose access ended are returned."""
    await conn.execute(
        sa.update(_couples)
        .where(_couples.c.id == couple_id)
        .values(dissolved_at=now, updated_at=now)
    )
    former = uuid.uuid4()
    await conn.execute(
        sa.insert(_users).values(
            id=former,
            email=f"former-{former}@{FORMER_DOMAIN}",
            password_hash=NO_PASSWORD,
            display_name=FORMER_NAME,
            timezone="UTC",
            account_type=FORMER_PARTNER,
            love_languages={"give": [], "receive": []},
            share_profile=False,
            created_at=now,
            updated_at=now,
        )
    )
    # Access ends for every therapist (both partners' grants go), and nobody joins.
    therapists = (
        await conn.scalars(
            sa.delete(_grants)
            .where(_grants.c.couple_id == couple_id)
            .returning(_grants.c.therapist_id)
        )
    ).all()
    await conn.execute(sa.delete(_invites).where(_invites.c.couple_id == couple_id))
    await conn.execute(
        sa.update(_members)
        .where(_members.c.couple_id == couple_id, _members.c.user_id == erased)
        .values(user_id=former)
    )
    # Every bid of the couple has the erased partner as bidder or responder. Their own
    # perceptions and notes go, and their private bids as tombstones (with neither the
    # note nor the digest of the request that created it, as a deletion leaves them).
    bids = _bids.c
    theirs = bids.logged_by == erased
    await conn.execute(
        sa.update(_bids)
        .where(bids.couple_id == couple_id)
        .values(
            bidder_response=_unless(bids.bidder_id == erased, bids.bidder_response),
            bidder_style=_unless(bids.bidder_id == erased, bids.bidder_style),
            responder_response=_unless(bids.responder_id == erased, bids.responder_response),
            responder_style=_unless(bids.responder_id == erased, bids.responder_style),
            note=_unless(theirs, bids.note),
            request_digest=_unless(theirs, bids.request_digest, ""),
            deleted_at=_unless(
                sa.and_(theirs, bids.private, bids.deleted_at.is_(None)), bids.deleted_at, now
            ),
            bidder_id=_replaced(bids.bidder_id, erased, former),
            responder_id=_replaced(bids.responder_id, erased, former),
            logged_by=_replaced(bids.logged_by, erased, former),
            version=bids.version + 1,
            updated_at=now,
        )
    )
    # Their check-ins go as tombstones, which keep what sync needs and no rating: the
    # scales cannot be empty, so they read the lowest value, and no sign.
    deleted_at = _checkins.c.deleted_at
    await _hand_over(
        conn,
        _checkins.c.partner_id,
        (couple_id, erased, former, now),
        connection=SCALE_MIN,
        stress=SCALE_MIN,
        signs=0,
        note=None,
        deleted_at=sa.func.coalesce(deleted_at, sa.literal(now, deleted_at.type)),
    )
    # Activities are the couple's shared time: they stay, without the notes the erased
    # partner wrote (nor the digest of the request that held them).
    await _hand_over(
        conn,
        _activities.c.logged_by,
        (couple_id, erased, former, now),
        note=None,
        request_digest="",
    )
    # The rollup rows kept under the erased partner: the triggers counted them down to
    # nothing above (the same rows now count under the stand-in).
    await conn.execute(
        sa.delete(_bid_weeks).where(
            _bid_weeks.c.couple_id == couple_id, _bid_weeks.c.responder_id == erased
        )
    )
    await conn.execute(
        sa.delete(_checkin_weeks).where(
            _checkin_weeks.c.couple_id == couple_id, _checkin_weeks.c.partner_id == erased
        )
    )
    return list(dict.fromkeys(therapists))
