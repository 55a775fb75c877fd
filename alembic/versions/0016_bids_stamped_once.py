"""A batch of bids takes its change stamp once, not once per row.

- The bids' stamp trigger (0008) ran for every row inserted: after the first row of a
  couple in a transaction it only looked up the value taken, but a plpgsql call per row
  was about a tenth of a 500-bid batch's time in the database, all of it under the
  couple's lock (0008), which the couple's other writers wait for.
- Now an insert fires it only for a row that comes without a `change_seq` (0, the
  column's default): an insert that sets one must have taken it in its own transaction,
  from `toward_change_stamp(couple, true)`, as the batch statement does
  (`_INSERT_ALL`, api/bids/service.py). Every update still fires it.
- SQLite's triggers (0008) are as they were.

Revision ID: 0016
Revises: 0015

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER bids_change_stamp ON bids")
    op.execute(
        "CREATE TRIGGER bids_change_stamp BEFORE UPDATE ON bids"
        " FOR EACH ROW EXECUTE FUNCTION bids_change_stamp()"
    )
    op.execute(
        "CREATE TRIGGER bids_change_stamp_on_insert BEFORE INSERT ON bids"
        " FOR EACH ROW WHEN (NEW.change_seq = 0) EXECUTE FUNCTION bids_change_stamp()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER bids_change_stamp_on_insert ON bids")
    op.execute("DROP TRIGGER bids_change_stamp ON bids")
    op.execute(
        "CREATE TRIGGER bids_change_stamp BEFORE INSERT OR UPDATE ON bids"
        " FOR EACH ROW EXECUTE FUNCTION bids_change_stamp()"
    )
