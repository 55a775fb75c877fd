"""Weekly rollups of bids, kept by triggers in the transaction of every write.

`bid_weeks` counts each couple's live bids per local week and responder, by effective
response (the bidder's view when given, else the responder's). Triggers on `bids`
keep it: whatever path writes a bid, its week moves in the same transaction.

- PostgreSQL: one trigger per statement and event, reading the transition tables, so
  a batched insert of many bids is one grouped upsert. Before counting, it takes a
  share lock on the couples it touches: a change of a couple's time zone or week start
  (which counts its rows again: today a trigger, migration 0006) waits for these writes, and these
  wait for it and then count in the new weeks. Rows are upserted in key order so that
  two concurrent writers never lock them in opposite orders.
- `bid_versions` counts each couple's bid writes, never going down: a version of its
  figures that a read checks in one lookup (api/core/cache.py). Its row is upserted
  after the weeks', so every writer locks rows in the same order.
- SQLite: row triggers. SQLite has no time zones, so `toward_week_start` is a Python
  function each connection registers (api/core/db.py); a copy-and-rename of `bids` by a
  later batch migration drops these triggers and must create them again.

Revision ID: 0002
Revises: 0001

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("bids", "toward", "away", "against", "both_views", "agreements", "repairs")


def _contributions(row: str, sign: str) -> list[str]:
    """One bid's contribution to each count, in `COUNTS` order."""
    effective = f"coalesce({row}.bidder_response, {row}.responder_response)"

    def when(condition: str) -> str:
        return f"{sign} * (CASE WHEN {condition} THEN 1 ELSE 0 END)"

    return [
        sign,
        when(f"{effective} = 'toward'"),
        when(f"{effective} = 'away'"),
        when(f"{effective} = 'against'"),
        when(f"{row}.bidder_response IS NOT NULL AND {row}.responder_response IS NOT NULL"),
        when(f"{row}.bidder_response = {row}.responder_response"),
        when(f"{row}.repair"),
    ]


_UPSERT = "ON CONFLICT (couple_id, week_start, responder_id) DO UPDATE SET " + ", ".join(
    f"{name} = bid_weeks.{name} + excluded.{name}" for name in COUNTS
)
_INTO = f"INSERT INTO bid_weeks (couple_id, week_start, responder_id, {', '.join(COUNTS)})"
_WEEK = "toward_week_start({row}.occurred_at, c.timezone, c.week_starts)"

_PG_WEEK_START = """
CREATE FUNCTION toward_week_start(at timestamptz, zone text, week_starts text)
RETURNS date LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (at AT TIME ZONE zone)::date - CASE
        WHEN week_starts = 'sunday' THEN extract(dow FROM at AT TIME ZONE zone)::int
        ELSE extract(isodow FROM at AT TIME ZONE zone)::int - 1
    END
$$
"""


def _pg_trigger(event: str) -> list[str]:
    """A statement trigger counting the rows of one event: added (new), taken away
    (old), or both for an update."""
    sources = {
        "INSERT": [("new_bids", "1")],
        "UPDATE": [("new_bids", "1"), ("old_bids", "-1")],
        "DELETE": [("old_bids", "-1")],
    }[event]
    changed = " UNION ALL ".join(
        f"SELECT {sign} AS sign, couple_id, responder_id, occurred_at, bidder_response,"
        f" responder_response, repair FROM {table} WHERE deleted_at IS NULL"
        for table, sign in sources
    )
    sums = [f"sum({term})" for term in _contributions("b", "b.sign")]
    function = f"bid_weeks_on_{event.lower()}"
    transitions = " ".join(
        f"{'NEW' if table == 'new_bids' else 'OLD'} TABLE AS {table}" for table, _ in sources
    )
    return [
        f"""
        CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM 1 FROM couples
            WHERE id IN (SELECT couple_id FROM {sources[0][0]}) FOR SHARE;
            {_INTO}
            SELECT b.couple_id, {_WEEK.format(row="b")}, b.responder_id, {", ".join(sums)}
            FROM ({changed}) AS b JOIN couples AS c ON c.id = b.couple_id
            GROUP BY 1, 2, 3
            HAVING {" OR ".join(f"{total} <> 0" for total in sums)}
            ORDER BY 1, 2, 3
            {_UPSERT};
            INSERT INTO bid_versions AS v (couple_id, version)
            SELECT couple_id, count(*) FROM {sources[0][0]} GROUP BY 1 ORDER BY 1
            ON CONFLICT (couple_id) DO UPDATE SET version = v.version + excluded.version;
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE TRIGGER {function} AFTER {event} ON bids
        REFERENCING {transitions}
        FOR EACH STATEMENT EXECUTE FUNCTION {function}()
        """,
    ]


def _sqlite_bump(row: str) -> str:
    return (
        f"INSERT INTO bid_versions (couple_id, version) VALUES ({row}.couple_id, 1) "
        "ON CONFLICT (couple_id) DO UPDATE SET version = bid_versions.version + 1;"
    )


def _sqlite_count(row: str, sign: str) -> str:
    return (
        f"{_INTO} SELECT {row}.couple_id, {_WEEK.format(row=row)}, {row}.responder_id, "
        f"{', '.join(_contributions(row, sign))} "
        f"FROM couples AS c WHERE c.id = {row}.couple_id AND {row}.deleted_at IS NULL "
        f"{_UPSERT};"
    )


_SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER bid_weeks_on_insert AFTER INSERT ON bids
    BEGIN {_sqlite_count("NEW", "1")} {_sqlite_bump("NEW")} END
    """,
    f"""
    CREATE TRIGGER bid_weeks_on_update
    AFTER UPDATE OF couple_id, responder_id, occurred_at, bidder_response,
                    responder_response, repair, deleted_at ON bids
    BEGIN {_sqlite_count("OLD", "-1")} {_sqlite_count("NEW", "1")} {_sqlite_bump("NEW")} END
    """,
    f"""
    CREATE TRIGGER bid_weeks_on_delete AFTER DELETE ON bids
    BEGIN {_sqlite_count("OLD", "-1")} {_sqlite_bump("OLD")} END
    """,
]

# The bids already stored, counted once.
_BACKFILL = (
    f"{_INTO} SELECT b.couple_id, {_WEEK.format(row='b')}, b.responder_id, "
    f"{', '.join(f'sum({term})' for term in _contributions('b', '1'))} "
    "FROM bids AS b JOIN couples AS c ON c.id = b.couple_id "
    "WHERE b.deleted_at IS NULL GROUP BY 1, 2, 3"
)


def upgrade() -> None:
    op.create_table(
        "bid_weeks",
        sa.Column("couple_id", sa.Uuid(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("responder_id", sa.Uuid(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_bid_weeks_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "couple_id", "week_start", "responder_id", name=op.f("pk_bid_weeks")
        ),
    )
    op.create_table(
        "bid_versions",
        sa.Column("couple_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_bid_versions_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("couple_id", name=op.f("pk_bid_versions")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_WEEK_START)
        for event in ("INSERT", "UPDATE", "DELETE"):
            for statement in _pg_trigger(event):
                op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    op.execute(_BACKFILL)
    op.execute(
        "INSERT INTO bid_versions (couple_id, version)"
        " SELECT couple_id, count(*) FROM bids GROUP BY couple_id"
    )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER bid_weeks_on_{event}{' ON bids' if postgresql else ''}")
        if postgresql:
            op.execute(f"DROP FUNCTION bid_weeks_on_{event}()")
    if postgresql:
        op.execute("DROP FUNCTION toward_week_start(timestamptz, text, text)")
    op.drop_table("bid_versions")
    op.drop_table("bid_weeks")
