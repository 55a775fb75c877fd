"""Which transaction last wrote each week of a couple's rollups.

- `rollup_weeks`: a row per couple and week whose rows in `bid_weeks`, `checkin_weeks`
  or `activity_weeks` were written (inserted, changed or deleted), and `written`, the
  id of the transaction that wrote them last (`pg_current_xact_id()`, 64 bits: it does
  not wrap). A row trigger on each rollup keeps it, whichever of the triggers that keep
  the rollups wrote them (bids, check-ins, activities, a new calendar).
- What it is for: a trends read after a write (api/trends/service.py) reads only the
  weeks written by transactions its window's last read did not see, by
  `pg_visible_in_snapshot(written, <that read's snapshot>)`: exact whatever order
  concurrent writers commit in, since writers of one week take its row in turn. A week
  with no row has not been written since this migration, which is all a read kept in
  a worker's memory (never across a restart) needs.
- Locks: every write of a couple's bids, check-ins and activities takes the couple's
  change stamp first (`couple_changes`, 0008), so writers of one couple take the rows
  of `rollup_weeks` one at a time, after everything else they wait for.
- The snapshots a worker keeps are of the database it reads: after a database is
  restored or switched over, restart the workers (a snapshot from further on than the
  database's own makes a read of every week, but one from another history need not).
- SQLite has no transaction ids: the table is made (models and migrations agree) and
  nothing writes it; a read there reads every week, as before.

Revision ID: 0015
Revises: 0014

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLLUPS = ("bid_weeks", "checkin_weeks", "activity_weeks")

_PG_WRITTEN = """
CREATE FUNCTION rollup_weeks_written() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
        -- Rows that go with their couple (a cascade) leave no one to tell.
        IF NOT EXISTS (SELECT 1 FROM couples WHERE id = OLD.couple_id) THEN
            RETURN NULL;
        END IF;
    ELSE
        changed := NEW;
    END IF;
    INSERT INTO rollup_weeks AS w (couple_id, week_start, written)
    VALUES (changed.couple_id, changed.week_start, pg_current_xact_id()::text::bigint)
    ON CONFLICT (couple_id, week_start) DO UPDATE SET written = excluded.written
    WHERE w.written IS DISTINCT FROM excluded.written;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "rollup_weeks",
        sa.Column("couple_id", sa.Uuid(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("written", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_rollup_weeks_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("couple_id", "week_start", name=op.f("pk_rollup_weeks")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_PG_WRITTEN)
    for table in _ROLLUPS:
        # A rollup row's week never changes (it is part of its key): a move is a
        # delete and an insert, each of which names its week.
        op.execute(
            f"CREATE TRIGGER {table}_written AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION rollup_weeks_written()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _ROLLUPS:
            op.execute(f"DROP TRIGGER {table}_written ON {table}")
        op.execute("DROP FUNCTION rollup_weeks_written()")
    op.drop_table("rollup_weeks")
