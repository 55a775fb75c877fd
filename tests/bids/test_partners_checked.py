"""The users a bid names are its couple's partners (alembic/versions/0014): the insert
takes them from the couple's members, and on PostgreSQL the database checks every
statement's bids again, once the couple's row is held, as foreign keys did before."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models.bid import Bid
from tests.factories import Couple, Person, make_couple

BIDS: sa.Table = Bid.__table__  # type: ignore[attr-defined]


def _row(couple: Couple, bidder: str, responder: str, logged_by: str) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "id": uuid.uuid4(),
        "couple_id": uuid.UUID(couple.id),
        "bidder_id": uuid.UUID(bidder),
        "responder_id": uuid.UUID(responder),
        "logged_by": uuid.UUID(logged_by),
        "occurred_at": now,
        "kind": "humor",
        "private": False,
        "repair": False,
        "version": 1,
        "request_digest": "0" * 64,
        "created_at": now,
        "updated_at": now,
    }


@pytest.fixture
async def stranger(client: httpx.AsyncClient, conn: AsyncConnection) -> Person:
    """A partner of another couple; on PostgreSQL only, where the database checks."""
    if conn.dialect.name != "postgresql":
        pytest.skip("SQLite writes one transaction at a time: the insert's reading is the check")
    return (await make_couple(client)).first


async def test_a_bid_naming_a_stranger_is_refused_by_the_database(
    couple: Couple, conn: AsyncConnection, stranger: Person
) -> None:
    assert couple.second is not None
    first, second = couple.first.id, couple.second.id
    refused = [
        _row(couple, first, stranger.id, first),
        _row(couple, stranger.id, second, second),
        _row(couple, first, second, stranger.id),
        _row(couple, first, str(uuid.uuid4()), first),
    ]

    for row in refused:
        with pytest.raises(sa.exc.IntegrityError) as error:
            await conn.execute(sa.insert(BIDS), [_row(couple, first, second, first), row])
        assert "not a partner" in str(error.value)
    await conn.execute(sa.insert(BIDS), [_row(couple, first, second, second)])

    stored = await conn.scalar(
        sa.select(sa.func.count()).where(BIDS.c.couple_id == uuid.UUID(couple.id))
    )
    assert stored == 1


async def test_a_bid_moved_to_a_stranger_is_refused_by_the_database(
    couple: Couple, conn: AsyncConnection, stranger: Person
) -> None:
    assert couple.second is not None
    row = _row(couple, couple.first.id, couple.second.id, couple.first.id)
    await conn.execute(sa.insert(BIDS), [row])

    for column in ("bidder_id", "responder_id", "logged_by"):
        with pytest.raises(sa.exc.IntegrityError) as error:
            await conn.execute(
                sa.update(BIDS)
                .where(BIDS.c.id == row["id"])
                .values({column: uuid.UUID(stranger.id)})
            )
        assert "not a partner" in str(error.value)
    # Swapping who bid and who responded names the same partners.
    await conn.execute(
        sa.update(BIDS)
        .where(BIDS.c.id == row["id"])
        .values(bidder_id=row["responder_id"], responder_id=row["bidder_id"])
    )
