"""Time zone names that PostgreSQL reads as abbreviations become places.

PostgreSQL reads `CET`, `EET`, `EST`, `HST`, `MET`, `MST` and `WET` in `AT TIME ZONE`
as fixed-offset abbreviations, while Python's zoneinfo reads them as zones with summer
time or an older offset, so a bid's week could differ between the rollups and the
figures. The API refuses them now (models/zones.py). Stored users and couples that
hold one get the zone that tzdata (2024b on) makes the name a link to, and the weekly
rollups of each such couple are counted again in its new weeks. The mapping and the
count are copied here, not imported: a migration keeps what it did.

On PostgreSQL the couples are locked first, so a concurrent bid write waits and then
counts into the new weeks (as a change of time zone through the API does).

Downgrade does nothing: which rows held the old names is not kept, and the API refuses
those names anyway.

Revision ID: 0004
Revises: 0003

"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each name and the zone it is a link to in tzdata 2024b and later.
PLACES = {
    "CET": "Europe/Brussels",
    "EET": "Europe/Athens",
    "EST": "America/Panama",
    "HST": "Pacific/Honolulu",
    "MET": "Europe/Brussels",
    "MST": "America/Phoenix",
    "WET": "Europe/Lisbon",
}

COUNTS = ("bids", "toward", "away", "against", "both_views", "agreements", "repairs")

_OLD = ", ".join(f"'{name}'" for name in PLACES)


def _place(column: str) -> str:
    """The place of an old name held in `column`."""
    cases = " ".join(f"WHEN '{name}' THEN '{place}'" for name, place in PLACES.items())
    return f"CASE {column} {cases} END"


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

_LOCK = f"SELECT id FROM couples WHERE timezone IN ({_OLD}) ORDER BY id FOR UPDATE"
_FORGET = (
    f"DELETE FROM bid_weeks WHERE couple_id IN (SELECT id FROM couples WHERE timezone IN ({_OLD}))"
)
# Counted by the place before the couple moves to it: afterwards its old name is gone.
_COUNT = f"""
    INSERT INTO bid_weeks (couple_id, week_start, responder_id, {", ".join(COUNTS)})
    SELECT b.couple_id, toward_week_start(b.occurred_at, {_place("c.timezone")}, c.week_starts),
           b.responder_id, {", ".join(f"sum({term})" for term in _TERMS)}
    FROM bids AS b JOIN couples AS c ON c.id = b.couple_id
    WHERE c.timezone IN ({_OLD}) AND b.deleted_at IS NULL
    GROUP BY 1, 2, 3
"""


def _move(table: str, now: datetime) -> sa.TextClause:
    # A new `updated_at` also moves the version that keys cached trends (api/core/cache.py).
    return sa.text(
        f"UPDATE {table} SET timezone = {_place('timezone')},"
        f" updated_at = :now WHERE timezone IN ({_OLD})"
    ).bindparams(sa.bindparam("now", now, type_=sa.DateTime(timezone=True)))


def upgrade() -> None:
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite keeps UTC times as naive text (models/base.py, UTCDateTime).
        now = now.replace(tzinfo=None)
    else:
        op.execute(_LOCK)
    op.execute(_FORGET)
    op.execute(_COUNT)
    op.execute(_move("couples", now))
    op.execute(_move("users", now))


def downgrade() -> None:
    pass
