"""A bid's partners checked as its couple's, once per statement, not by foreign keys.

- `bids.bidder_id`, `responder_id` and `logged_by` no longer have foreign keys to
  `users`. The insert of bids (api/bids/service.py) takes all three from the couple's
  `couple_members` rows and refuses anyone else; on PostgreSQL a statement trigger
  then checks, once per statement and with the couple's row held (the change stamp
  took it), that every bid inserted names partners of its couple as they are now (and
  a row trigger checks an update that changes them, which only an erasure makes). An
  insert that read the couple before an erasure committed (api/users/erasure.py) thus
  fails as the foreign keys made it fail (23503), and the write batcher tries each of
  its rows again alone, which then finds the couple dissolved. SQLite writes one
  transaction at a time: the insert's own reading is the check. Nothing updates these
  columns but an erasure, which moves them to the couple's stand-in account before the
  account's row goes (tests/users/test_erase.py searches every table for the erased id).
- What the keys cost: three index lookups and row locks per bid written (about a
  quarter of a 500-bid batch's time in the database); and deleting any account
  scanned every bid three times, for want of an index on these columns.
- The couple's foreign key (and its cascade) stays.
- SQLite cannot drop a constraint; copying `bids` to do so would drop its triggers.
  Removing a FOREIGN KEY clause changes nothing stored, so the table's definition is
  rewritten in place, by SQLite's own procedure for such changes
  (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema
  Changes"). It matches the clauses as this project's migrations wrote them: a
  definition written otherwise (a table rebuilt by hand) stops the upgrade, which
  changes nothing.
- Going back puts the keys back, after checking that every bid's users exist.

Revision ID: 0014
Revises: 0013

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("bidder_id", "logged_by", "responder_id")


def _name(column: str) -> str:
    return f"fk_bids_{column}_users"


def _clause(column: str) -> str:
    """The constraint as SQLite keeps it in the table's definition."""
    return f", \n\tCONSTRAINT {_name(column)} FOREIGN KEY({column}) REFERENCES users (id)"


def _rewrite_bids(before: str, after: str) -> None:
    """Replace `before` with `after` in SQLite's definition of `bids`, once."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    rewritten = bind.execute(
        sa.text(
            "UPDATE sqlite_master SET sql = replace(sql, :before, :after)"
            " WHERE type = 'table' AND name = 'bids' AND instr(sql, :before) > 0"
        ),
        {"before": before, "after": after},
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    if rewritten.rowcount != 1:
        raise RuntimeError(f"bids has no {before!r} to rewrite")
    (verdict,) = bind.exec_driver_sql("PRAGMA integrity_check").one()
    if verdict != "ok":
        raise RuntimeError(f"integrity check after rewriting bids: {verdict}")


_PG_CHECK = [
    """
    CREATE FUNCTION bids_name_partners() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (
            SELECT 1 FROM new_bids AS b
            WHERE NOT EXISTS (
                SELECT 1 FROM couple_members AS m
                WHERE m.couple_id = b.couple_id AND m.user_id = b.bidder_id
            ) OR NOT EXISTS (
                SELECT 1 FROM couple_members AS m
                WHERE m.couple_id = b.couple_id AND m.user_id = b.responder_id
            ) OR b.logged_by NOT IN (b.bidder_id, b.responder_id)
        ) THEN
            RAISE EXCEPTION 'a bid names someone who is not a partner of its couple'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER bids_name_partners AFTER INSERT ON bids
    REFERENCING NEW TABLE AS new_bids
    FOR EACH STATEMENT EXECUTE FUNCTION bids_name_partners()
    """,
    # Only an erasure changes these, after the stand-in took the erased partner's place
    # in `couple_members`; PostgreSQL takes no column list on a trigger with transition
    # tables, so this one goes row by row, and only for rows whose partners change.
    """
    CREATE FUNCTION bid_names_partners() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM couple_members
            WHERE couple_id = NEW.couple_id AND user_id = NEW.bidder_id
        ) OR NOT EXISTS (
            SELECT 1 FROM couple_members
            WHERE couple_id = NEW.couple_id AND user_id = NEW.responder_id
        ) OR NEW.logged_by NOT IN (NEW.bidder_id, NEW.responder_id) THEN
            RAISE EXCEPTION 'a bid names someone who is not a partner of its couple'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER bid_names_partners
    AFTER UPDATE OF couple_id, bidder_id, responder_id, logged_by ON bids
    FOR EACH ROW WHEN (
        OLD.couple_id IS DISTINCT FROM NEW.couple_id
        OR OLD.bidder_id IS DISTINCT FROM NEW.bidder_id
        OR OLD.responder_id IS DISTINCT FROM NEW.responder_id
        OR OLD.logged_by IS DISTINCT FROM NEW.logged_by
    )
    EXECUTE FUNCTION bid_names_partners()
    """,
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in _COLUMNS:
            op.drop_constraint(_name(column), "bids", type_="foreignkey")
        for statement in _PG_CHECK:
            op.execute(statement)
        return
    for column in _COLUMNS:
        _rewrite_bids(_clause(column), "")


def downgrade() -> None:
    bind = op.get_bind()
    for column in _COLUMNS:
        missing = bind.execute(
            sa.text(
                f"SELECT count(*) FROM bids WHERE NOT EXISTS"
                f" (SELECT 1 FROM users WHERE users.id = bids.{column})"
            )
        ).scalar_one()
        if missing:
            raise RuntimeError(f"{missing} bids name a {column} that is no account")
    if bind.dialect.name == "postgresql":
        for name in ("bids_name_partners", "bid_names_partners"):
            op.execute(f"DROP TRIGGER {name} ON bids")
            op.execute(f"DROP FUNCTION {name}()")
        for column in _COLUMNS:
            op.create_foreign_key(_name(column), "bids", "users", [column], ["id"])
        return
    # Each goes back in before the couple's key, which the table's definition still has.
    couple_key = "CONSTRAINT fk_bids_couple_id_couples"
    for column in _COLUMNS:
        _rewrite_bids(couple_key, _clause(column).removeprefix(", \n\t") + ", \n\t" + couple_key)
