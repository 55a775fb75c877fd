"""Rebuilding a couple's weekly rollups. Triggers keep them as bids change
(alembic/versions/0002); a new time zone or week start moves every bid's week, so the
couple's rows are counted again, in the transaction that changed the calendar."""

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from api.trends.figures import COUNTS

_EFFECTIVE = "coalesce(b.bidder_response, b.responder_response)"
_TERMS = (
    "1",
    f"CASE WHEN {_EFFECTIVE} = 'toward' THEN 1 ELSE 0 END",
    f"CASE WHEN {_EFFECTIVE} = 'away' THEN 1 ELSE 0 END",
    f"CASE WHEN {_EFFECTIVE} = 'against' THEN 1 ELSE 0 END",
    "CASE WHEN b.bidder_response IS NOT NULL AND b.responder_response IS NOT NULL"
    " THEN 1 ELSE 0 END",
    "CASE WHEN b.bidder_response = b.responder_response THEN 1 ELSE 0 END",
    "CASE WHEN b.repair THEN 1 ELSE 0 END",
)

_FORGET = sa.text("DELETE FROM bid_weeks WHERE couple_id = :couple_id").bindparams(
    sa.bindparam("couple_id", type_=sa.Uuid())
)
_COUNT = sa.text(
    f"""
    INSERT INTO bid_weeks (couple_id, week_start, responder_id, {", ".join(COUNTS)})
    SELECT b.couple_id, toward_week_start(b.occurred_at, c.timezone, c.week_starts),
           b.responder_id, {", ".join(f"sum({term})" for term in _TERMS)}
    FROM bids AS b JOIN couples AS c ON c.id = b.couple_id
    WHERE b.couple_id = :couple_id AND b.deleted_at IS NULL
    GROUP BY 1, 2, 3
    """
).bindparams(sa.bindparam("couple_id", type_=sa.Uuid()))


async def rebuild(conn: AsyncConnection, couple_id: uuid.UUID) -> None:
    """Count the couple's live bids into weeks again, by its current calendar."""
    await conn.execute(_FORGET, {"couple_id": couple_id})
    await conn.execute(_COUNT, {"couple_id": couple_id})
