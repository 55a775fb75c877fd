"""Each couple's change sequence: the position of every write in the changes feed.

- `couple_changes.seq`: how far a couple's sequence has run. Every write of a bid,
  check-in, activity or of the couple's own row takes the next value into the row's
  `change_seq`, updating this row, whose lock it then holds until it commits. A
  second writer of the couple waits for that lock and reads the committed value, so
  the values of a couple become visible in the order they were taken: a reader that
  sees value n has seen every value below it, and a transaction that commits late
  holds back every later one rather than being skipped (tests/changes).
- On PostgreSQL one transaction takes one value per couple, whatever the rows it
  writes (a batch of 500 bids, the single creates the write batcher joins): the value
  taken is remembered in a transaction-local setting. Each first take also sends
  `NOTIFY toward_changes, '<couple id> <seq>'`, delivered when (and only if) the
  transaction commits: the live events (api/changes/events.py) listen for it. The
  trigger takes the couple's row in share mode before the sequence, the order every
  bid, check-in and activity write already takes its locks in (couple, then
  counters), and a change of the couple's own row holds that row first too.
- A partner leaving a couple (a couple deleted cascades to it) takes no value, as
  nothing of the couple is left to sync, but NOTIFYs too: a worker that trusts what
  it read of the couple's partners (api/core/notices.py) must hear of it.
- On SQLite (one writer at a time) each row's write takes a value of its own.
- `couple_changes.purged_through`: the highest value of a tombstone deleted for good
  (`purge_tombstones`, api/changes/service.py); a cursor that may still need one is
  answered 410.
- Existing rows keep `change_seq` 0: a first sync takes them, later ones never need to.

Revision ID: 0008
Revises: 0007

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables whose rows the feed hands out, each with the column naming its couple.
STAMPED = {"bids": "couple_id", "checkins": "couple_id", "activities": "couple_id", "couples": "id"}
FEED_TABLES = ("bids", "checkins", "activities")

# The values this transaction took, as `<xid>|<couple>=<seq>;<couple>=<seq>;…`.
_PG_STAMP = """
CREATE FUNCTION toward_change_stamp(couple uuid, shared boolean) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    xact text := pg_current_xact_id()::text || '|';
    taken text := coalesce(current_setting('toward.changes', true), '');
    key text := couple::text || '=';
    at int;
    seq bigint;
BEGIN
    IF starts_with(taken, xact) THEN
        at := strpos(taken, key);
        IF at > 0 THEN
            RETURN split_part(substr(taken, at + length(key)), ';', 1)::bigint;
        END IF;
    ELSE
        taken := xact;
    END IF;
    IF shared THEN
        PERFORM 1 FROM couples WHERE id = couple FOR SHARE;
    END IF;
    INSERT INTO couple_changes AS c (couple_id, seq, purged_through) VALUES (couple, 1, 0)
    ON CONFLICT (couple_id) DO UPDATE SET seq = c.seq + 1
    RETURNING c.seq INTO seq;
    PERFORM set_config('toward.changes', taken || key || seq || ';', true);
    PERFORM pg_notify('toward_changes', couple::text || ' ' || seq);
    RETURN seq;
END
$$
"""


_PG_PARTNER_LEFT = [
    """
    CREATE FUNCTION couple_members_left() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('toward_changes', OLD.couple_id::text || ' 0');
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER couple_members_left AFTER DELETE ON couple_members
    FOR EACH ROW EXECUTE FUNCTION couple_members_left()
    """,
]


def _pg_trigger(table: str, column: str) -> list[str]:
    # A change of the couple's own row already holds that row, in a stronger mode.
    shared = "false" if table == "couples" else "true"
    events = "UPDATE" if table == "couples" else "INSERT OR UPDATE"
    return [
        f"""
        CREATE FUNCTION {table}_change_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.change_seq := toward_change_stamp(NEW.{column}, {shared});
            RETURN NEW;
        END
        $$
        """,
        f"""
        CREATE TRIGGER {table}_change_stamp BEFORE {events} ON {table}
        FOR EACH ROW EXECUTE FUNCTION {table}_change_stamp()
        """,
    ]


def _sqlite_triggers(table: str, column: str) -> list[str]:
    # The inner UPDATE sets `change_seq` only: it does not fire the trigger again (its
    # WHEN), nor the bid rollup's (`UPDATE OF` other columns).
    stamp = f"""
        INSERT INTO couple_changes (couple_id, seq, purged_through) VALUES (NEW.{column}, 1, 0)
        ON CONFLICT (couple_id) DO UPDATE SET seq = couple_changes.seq + 1;
        UPDATE {table} SET change_seq =
            (SELECT seq FROM couple_changes WHERE couple_id = NEW.{column})
        WHERE id = NEW.id;
    """
    statements = [
        f"""
        CREATE TRIGGER {table}_change_on_update AFTER UPDATE ON {table}
        WHEN NEW.change_seq IS OLD.change_seq
        BEGIN {stamp} END
        """
    ]
    if table != "couples":
        statements.append(
            f"CREATE TRIGGER {table}_change_on_insert AFTER INSERT ON {table} BEGIN {stamp} END"
        )
    return statements


def _drop_triggers(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            *(
                statement
                for table in STAMPED
                for statement in (
                    f"DROP TRIGGER {table}_change_stamp ON {table}",
                    f"DROP FUNCTION {table}_change_stamp()",
                )
            ),
            "DROP FUNCTION toward_change_stamp(uuid, boolean)",
            "DROP TRIGGER couple_members_left ON couple_members",
            "DROP FUNCTION couple_members_left()",
        ]
    return [
        f"DROP TRIGGER IF EXISTS {table}_change_on_{event}"
        for table in STAMPED
        for event in ("insert", "update")
    ]


def upgrade() -> None:
    op.create_table(
        "couple_changes",
        sa.Column("couple_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("purged_through", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_couple_changes_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("couple_id", name=op.f("pk_couple_changes")),
    )
    for table in STAMPED:
        op.add_column(
            table, sa.Column("change_seq", sa.BigInteger(), server_default="0", nullable=False)
        )
    for table in FEED_TABLES:
        op.create_index(
            f"ix_{table}_couple_id_change_seq_id", table, ["couple_id", "change_seq", "id"]
        )
        op.create_index(
            f"ix_{table}_deleted_at",
            table,
            ["deleted_at"],
            postgresql_where=sa.text("deleted_at IS NOT NULL"),
            sqlite_where=sa.text("deleted_at IS NOT NULL"),
        )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        statements = [_PG_STAMP, *_PG_PARTNER_LEFT]
        for table, column in STAMPED.items():
            statements += _pg_trigger(table, column)
    else:
        statements = [
            statement
            for table, column in STAMPED.items()
            for statement in _sqlite_triggers(table, column)
        ]
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _drop_triggers(dialect):
        op.execute(statement)
    for table in FEED_TABLES:
        op.drop_index(f"ix_{table}_deleted_at", table_name=table)
        op.drop_index(f"ix_{table}_couple_id_change_seq_id", table_name=table)
    for table in STAMPED:
        if dialect == "sqlite":
            # Not a batch copy, which would drop the rollup triggers (SQLite 3.35+).
            op.execute(f"ALTER TABLE {table} DROP COLUMN change_seq")
        else:
            op.drop_column(table, "change_seq")
    op.drop_table("couple_changes")
