"""`held_partner_ids` (api/couples/service.py), a write's first look at its couple in
one statement: the partners for a partner, a 404 for anyone else, a 409 for a dissolved
couple; on PostgreSQL a partner's call holds the couple's row in share mode until its
transaction ends, and no one else's does."""

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.core.errors import Problem
from api.couples.service import held_partner_ids
from models.base import utcnow
from models.couple import Couple as CoupleRow
from tests.factories import Couple, Person

_couples: sa.Table = CoupleRow.__table__  # type: ignore[attr-defined]


async def row_held(engine: AsyncEngine, couple_id: uuid.UUID) -> bool:
    """Whether another transaction holds the couple's row in share mode: the lock that
    changing the row takes, as a dissolution does, is not to be had at once."""
    async with engine.connect() as other, other.begin():
        try:
            await other.execute(
                sa.select(_couples.c.id)
                .where(_couples.c.id == couple_id)
                .with_for_update(nowait=True, key_share=True)
            )
        except sa.exc.DBAPIError:
            return True
        return False


async def held_by(
    engine: AsyncEngine, couple_id: uuid.UUID, caller_id: uuid.UUID
) -> tuple[list[uuid.UUID] | Problem, bool]:
    """What the call answers, and whether the row was held while its transaction ran."""
    async with engine.connect() as conn, conn.begin():
        try:
            answer: list[uuid.UUID] | Problem = await held_partner_ids(conn, couple_id, caller_id)
        except Problem as problem:
            answer = problem
        held = engine.dialect.name == "postgresql" and await row_held(engine, couple_id)
    return answer, held


async def test_a_partner_gets_the_partners_and_holds_the_couple(
    engine: AsyncEngine, couple: Couple
) -> None:
    assert couple.second is not None
    couple_id = uuid.UUID(couple.id)
    partners = [uuid.UUID(couple.first.id), uuid.UUID(couple.second.id)]
    answer, held = await held_by(engine, couple_id, partners[1])
    assert answer == partners
    assert held == (engine.dialect.name == "postgresql")
    assert not await row_held(engine, couple_id)  # let go with the transaction


async def test_anyone_else_gets_a_404_and_holds_nothing(
    engine: AsyncEngine, couple: Couple, stranger: Person
) -> None:
    for couple_id, caller_id in (
        (uuid.UUID(couple.id), uuid.UUID(stranger.id)),
        (uuid.uuid4(), uuid.UUID(couple.first.id)),
    ):
        answer, held = await held_by(engine, couple_id, caller_id)
        assert isinstance(answer, Problem)
        assert answer.status == 404
        assert not held


async def test_a_dissolved_couple_is_a_409(
    engine: AsyncEngine, couple: Couple, conn: AsyncConnection
) -> None:
    couple_id = uuid.UUID(couple.id)
    await conn.execute(
        sa.update(_couples).where(_couples.c.id == couple_id).values(dissolved_at=utcnow())
    )
    answer, _ = await held_by(engine, couple_id, uuid.UUID(couple.first.id))
    assert isinstance(answer, Problem)
    assert (answer.status, answer.code) == (409, "couple-dissolved")
