"""The rules of the rollups, each defined once in the database.

- `toward_effective_response(bidder_response, responder_response)`: the bidder's view
  when given, else the responder's. Every statement that counts by response calls it:
  the rollup triggers, the recount below, the bank account's last 7 days and the bid
  filter. On PostgreSQL it is a SQL function (inlined by the planner, so it costs
  nothing); SQLite has no `CREATE FUNCTION`, so each connection registers the Python
  definition in `models/vocabulary.py` (api/core/db.py), and a test holds the two equal.
- What one bid adds to each count of `bid_weeks` is written once below
  (`_contributions`) and used by every statement that counts: the triggers on `bids`
  and a new trigger on `couples` that counts a couple's bids again when its time zone
  or week start changes (it moves every bid's week). The app no longer recounts.

Revision ID: 0006
Revises: 0005

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("bids", "toward", "away", "against", "both_views", "agreements", "repairs")

_PG_EFFECTIVE = """
CREATE FUNCTION toward_effective_response(bidder_response text, responder_response text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(bidder_response, responder_response) $$
"""


# The effective response as this revision calls it, and as 0002 wrote it out (for the
# way back).
_EFFECTIVE = "toward_effective_response({row}.bidder_response, {row}.responder_response)"
_EFFECTIVE_0002 = "coalesce({row}.bidder_response, {row}.responder_response)"


def _contributions(row: str, sign: str, effective_of: str = _EFFECTIVE) -> list[str]:
    """What one bid adds to each count, in `COUNTS` order."""
    effective = effective_of.format(row=row)

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


def _count_all(couple: str) -> str:
    """Every live bid of `couple` (an expression for its id), counted into its week."""
    sums = ", ".join(f"sum({term})" for term in _contributions("b", "1"))
    return (
        f"{_INTO} SELECT b.couple_id, {_WEEK.format(row='b')}, b.responder_id, {sums} "
        "FROM bids AS b JOIN couples AS c ON c.id = b.couple_id "
        f"WHERE b.couple_id = {couple} AND b.deleted_at IS NULL GROUP BY 1, 2, 3"
    )


def _pg_bid_function(event: str, effective_of: str = _EFFECTIVE) -> str:
    """The body of the statement trigger for one event on `bids` (0002 made the
    triggers): it adds the new rows and takes away the old ones."""
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
    sums = [f"sum({term})" for term in _contributions("b", "b.sign", effective_of)]
    return f"""
        CREATE OR REPLACE FUNCTION bid_weeks_on_{event.lower()}() RETURNS trigger
        LANGUAGE plpgsql AS $$
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
        """


# The update of the couple's row holds its lock, which every bid trigger takes in share
# mode first: bid writes wait for the recount, and then count in the new weeks.
_CALENDAR_CHANGED = (
    "OLD.timezone IS DISTINCT FROM NEW.timezone OR OLD.week_starts IS DISTINCT FROM NEW.week_starts"
)
_PG_RECOUNT = [
    f"""
    CREATE FUNCTION bid_weeks_on_new_calendar() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM bid_weeks WHERE couple_id = NEW.id;
        {_count_all("NEW.id")};
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE TRIGGER bid_weeks_on_new_calendar
    AFTER UPDATE OF timezone, week_starts ON couples
    FOR EACH ROW WHEN ({_CALENDAR_CHANGED}) EXECUTE FUNCTION bid_weeks_on_new_calendar()
    """,
]


def _sqlite_bump(row: str) -> str:
    return (
        f"INSERT INTO bid_versions (couple_id, version) VALUES ({row}.couple_id, 1) "
        "ON CONFLICT (couple_id) DO UPDATE SET version = bid_versions.version + 1;"
    )


def _sqlite_count(row: str, sign: str, effective_of: str) -> str:
    return (
        f"{_INTO} SELECT {row}.couple_id, {_WEEK.format(row=row)}, {row}.responder_id, "
        f"{', '.join(_contributions(row, sign, effective_of))} "
        f"FROM couples AS c WHERE c.id = {row}.couple_id AND {row}.deleted_at IS NULL "
        f"{_UPSERT};"
    )


def _sqlite_bid_triggers(effective_of: str) -> list[str]:
    def count(row: str, sign: str) -> str:
        return _sqlite_count(row, sign, effective_of)

    return [
        f"""
        CREATE TRIGGER bid_weeks_on_insert AFTER INSERT ON bids
        BEGIN {count("NEW", "1")} {_sqlite_bump("NEW")} END
        """,
        f"""
        CREATE TRIGGER bid_weeks_on_update
        AFTER UPDATE OF couple_id, responder_id, occurred_at, bidder_response,
                        responder_response, repair, deleted_at ON bids
        BEGIN {count("OLD", "-1")} {count("NEW", "1")} {_sqlite_bump("NEW")} END
        """,
        f"""
        CREATE TRIGGER bid_weeks_on_delete AFTER DELETE ON bids
        BEGIN {count("OLD", "-1")} {_sqlite_bump("OLD")} END
        """,
    ]


# SQLite: a later batch migration that copies and renames `couples` drops this trigger
# (as one that copies `bids` drops the three above) and must create it again; a test
# lists the triggers at head.
_SQLITE_RECOUNT = f"""
    CREATE TRIGGER bid_weeks_on_new_calendar
    AFTER UPDATE OF timezone, week_starts ON couples
    WHEN {_CALENDAR_CHANGED.replace("IS DISTINCT FROM", "IS NOT")}
    BEGIN
        DELETE FROM bid_weeks WHERE couple_id = NEW.id;
        {_count_all("NEW.id")};
    END
    """

_BID_EVENTS = ("insert", "update", "delete")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_EFFECTIVE)
        for event in _BID_EVENTS:
            op.execute(_pg_bid_function(event.upper()))
        for statement in _PG_RECOUNT:
            op.execute(statement)
        return
    for event in _BID_EVENTS:
        op.execute(f"DROP TRIGGER bid_weeks_on_{event}")
    for statement in [*_sqlite_bid_triggers(_EFFECTIVE), _SQLITE_RECOUNT]:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER bid_weeks_on_new_calendar ON couples")
        op.execute("DROP FUNCTION bid_weeks_on_new_calendar()")
        for event in _BID_EVENTS:
            op.execute(_pg_bid_function(event.upper(), _EFFECTIVE_0002))
        op.execute("DROP FUNCTION toward_effective_response(text, text)")
        return
    op.execute("DROP TRIGGER bid_weeks_on_new_calendar")
    for event in _BID_EVENTS:
        op.execute(f"DROP TRIGGER bid_weeks_on_{event}")
    for statement in _sqlite_bid_triggers(_EFFECTIVE_0002):
        op.execute(statement)
