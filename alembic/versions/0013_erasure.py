"""Erasure of an account: a couple dissolved, and the account that stands in for an
erased partner.

- `couples.dissolved_at`: when a partner erased their account and the couple stayed
  with the other partner as a record (api/users/erasure.py, docs/privacy.md). A
  dissolved couple reads as before and takes nothing new.
- `users.account_type` may be `former`: the stand-in that takes an erased partner's
  place in the couple's rows ("Former partner", an address on the reserved `.invalid`
  domain, no usable password). No account registers as one, and none logs in.
- SQLite cannot alter a CHECK constraint, and copying `users` to change it would drop
  the old table, and with it (foreign keys on) every row that refers to it. A CHECK
  that accepts more values than before holds for every row stored, so the table's
  definition is rewritten in place, by SQLite's own procedure for such changes
  (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema
  Changes": `writable_schema`, a new `schema_version`, an integrity check).
- Going back: stand-ins become partner accounts that still cannot log in (no password
  matches `!`), and the couples they are in are no longer marked dissolved.

Revision ID: 0013
Revises: 0012

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECK = "ck_users_account_type"
_BEFORE = "account_type IN ('partner', 'therapist')"
_AFTER = "account_type IN ('partner', 'therapist', 'former')"


def _check_accepts(before: str, after: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(_CHECK), "users", type_="check")
        op.create_check_constraint(op.f(_CHECK), "users", after)
        return
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    rewritten = bind.execute(
        sa.text(
            "UPDATE sqlite_master SET sql = replace(sql, :before, :after)"
            " WHERE type = 'table' AND name = 'users'"
        ),
        {"before": f"CHECK ({before})", "after": f"CHECK ({after})"},
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    if rewritten.rowcount != 1:
        raise RuntimeError(f"users has no CHECK ({before}) to rewrite")
    (verdict,) = bind.exec_driver_sql("PRAGMA integrity_check").one()
    if verdict != "ok":
        raise RuntimeError(f"integrity check after rewriting users: {verdict}")


def upgrade() -> None:
    op.add_column("couples", sa.Column("dissolved_at", sa.DateTime(timezone=True), nullable=True))
    _check_accepts(_BEFORE, _AFTER)


def downgrade() -> None:
    op.execute("UPDATE users SET account_type = 'partner' WHERE account_type = 'former'")
    _check_accepts(_AFTER, _BEFORE)
    # SQLite drops the column in place (3.35+): a batch copy of `couples` would drop the
    # rollup triggers on it, and the old table with every row that refers to it.
    op.execute("ALTER TABLE couples DROP COLUMN dissolved_at")
