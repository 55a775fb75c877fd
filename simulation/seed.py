"""Writing a simulated couple (simulation/simulator.py) into the database as two partner
accounts, their couple, its bids, check-ins and shared activities. The rollups are the
triggers' to keep, as for any write."""

import hashlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models.activity import Activity
from models.bid import Bid
from models.checkin import Checkin
from models.couple import DEFAULT_WEIGHTS, Couple, CoupleMember
from models.types import normalise_email
from models.user import User
from models.vocabulary import AccountType, WeekStart, signs_to_bits
from simulation.simulator import (
    SimulatedActivity,
    SimulatedBid,
    SimulatedCheckin,
    SimulatedCouple,
)

_users: sa.Table = User.__table__  # type: ignore[attr-defined]
_couples: sa.Table = Couple.__table__  # type: ignore[attr-defined]
_members: sa.Table = CoupleMember.__table__  # type: ignore[attr-defined]
_bids: sa.Table = Bid.__table__  # type: ignore[attr-defined]
_checkins: sa.Table = Checkin.__table__  # type: ignore[attr-defined]
_activities: sa.Table = Activity.__table__  # type: ignore[attr-defined]

# Rows per executemany: large enough that round trips do not dominate, small enough
# to keep one batch's parameters modest in memory.
CHUNK = 5000


@dataclass(frozen=True, slots=True)
class SeededCouple:
    couple_id: uuid.UUID
    partner_ids: tuple[uuid.UUID, uuid.UUID]
    bids: int
    checkins: int
    activities: int


async def seed_couple(
    conn: AsyncConnection,
    simulated: SimulatedCouple,
    *,
    names: tuple[str, str],
    emails: tuple[str, str],
    password_hash: str,
) -> SeededCouple:
    """Insert the couple in the caller's transaction; committing is the caller's."""
    since = simulated.start
    partner_ids = (uuid.uuid4(), uuid.uuid4())
    couple_id = uuid.uuid4()
    await conn.execute(
        sa.insert(_users),
        [
            {
                "id": partner_ids[index],
                "email": normalise_email(emails[index]),
                "password_hash": password_hash,
                "display_name": names[index],
                "timezone": simulated.timezone,
                "account_type": AccountType.partner.value,
                "love_languages": {},
                "attachment_style": None,
                "created_at": since,
                "updated_at": since,
            }
            for index in (0, 1)
        ],
    )
    await conn.execute(
        sa.insert(_couples).values(
            id=couple_id,
            name=f"{names[0]} & {names[1]}",
            timezone=simulated.timezone,
            week_starts=WeekStart.monday.value,
            weight_toward=DEFAULT_WEIGHTS["toward"],
            weight_away=DEFAULT_WEIGHTS["away"],
            weight_against=DEFAULT_WEIGHTS["against"],
            created_at=since,
            updated_at=since,
        )
    )
    await conn.execute(
        sa.insert(_members),
        [
            {
                "couple_id": couple_id,
                "user_id": partner_ids[index],
                "slot": index + 1,
                "joined_at": since,
            }
            for index in (0, 1)
        ],
    )
    # RETURNING makes SQLAlchemy send an executemany as multi-row INSERTs of 1,000 rows
    # (its "insertmanyvalues"); without it asyncpg runs one statement per row, and the
    # weekly rollups' statement trigger with it: 30,000 bids took 6 s instead of 2 s.
    # The same holds for the check-ins' and activities' rollup triggers.
    await _insert(conn, _bids, simulated.bids, _row, couple_id, partner_ids)
    await _insert(conn, _checkins, simulated.checkins, _checkin_row, couple_id, partner_ids)
    await _insert(conn, _activities, simulated.activities, _activity_row, couple_id, partner_ids)
    return SeededCouple(
        couple_id=couple_id,
        partner_ids=partner_ids,
        bids=len(simulated.bids),
        checkins=len(simulated.checkins),
        activities=len(simulated.activities),
    )


Item = TypeVar("Item")
Partners = tuple[uuid.UUID, uuid.UUID]


async def _insert(
    conn: AsyncConnection,
    table: sa.Table,
    items: Sequence[Item],
    row: Callable[[Item, uuid.UUID, Partners], dict[str, Any]],
    couple_id: uuid.UUID,
    partner_ids: Partners,
) -> None:
    insert = sa.insert(table).returning(table.c.id)
    for chunk in _chunks(items, CHUNK):
        await conn.execute(insert, [row(item, couple_id, partner_ids) for item in chunk])


def _row(bid: SimulatedBid, couple_id: uuid.UUID, partner_ids: Partners) -> dict[str, Any]:
    bidder_id = partner_ids[bid.bidder]
    return {
        "id": bid.id,
        "couple_id": couple_id,
        "bidder_id": bidder_id,
        "responder_id": partner_ids[bid.responder],
        "logged_by": bidder_id,
        "occurred_at": bid.occurred_at,
        "kind": bid.kind.value,
        "channel": bid.channel.value,
        "note": bid.note,
        "private": bid.private,
        "repair": bid.repair,
        "bidder_response": _value(bid.bidder_response),
        "bidder_style": _value(bid.bidder_style),
        "responder_response": _value(bid.responder_response),
        "responder_style": _value(bid.responder_style),
        "version": 1,
        # Not a digest of any create body: a client that sends one of these ids gets
        # 409, as for any bid it did not create.
        "request_digest": hashlib.sha256(bid.id.bytes).hexdigest(),
        "created_at": bid.occurred_at,
        "updated_at": bid.occurred_at,
        "deleted_at": None,
    }


def _checkin_row(
    checkin: SimulatedCheckin, couple_id: uuid.UUID, partner_ids: Partners
) -> dict[str, Any]:
    return {
        "id": checkin.id,
        "couple_id": couple_id,
        "partner_id": partner_ids[checkin.partner],
        "local_date": checkin.local_date,
        "connection": checkin.connection,
        "stress": checkin.stress,
        "signs": signs_to_bits(checkin.signs),
        "note": checkin.note,
        "private": checkin.private,
        "version": 1,
        "created_at": checkin.at,
        "updated_at": checkin.at,
        "deleted_at": None,
    }


def _activity_row(
    activity: SimulatedActivity, couple_id: uuid.UUID, partner_ids: Partners
) -> dict[str, Any]:
    return {
        "id": activity.id,
        "couple_id": couple_id,
        "logged_by": partner_ids[activity.logged_by],
        "kind": activity.kind.value,
        "occurred_at": activity.occurred_at,
        "duration_minutes": activity.duration_minutes,
        "note": activity.note,
        "version": 1,
        # As for bids: no create body has this digest, so a client sending the id gets 409.
        "request_digest": hashlib.sha256(activity.id.bytes).hexdigest(),
        "created_at": activity.occurred_at,
        "updated_at": activity.occurred_at,
        "deleted_at": None,
    }


def _value(member: str | None) -> str | None:
    return None if member is None else str(member)


def _chunks(items: Sequence[Item], size: int) -> Iterator[Sequence[Item]]:
    for begin in range(0, len(items), size):
        yield items[begin : begin + size]
