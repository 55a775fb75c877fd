"""Verified email addresses, codes sent by email, and limits per client address.

- `users.email_verified_at`: when the owner confirmed the address with a mailed code;
  null for every account made before (its owner can ask for a code again).
- `email_codes`: codes mailed to verify an address or to reset a password, stored as
  SHA-256 hashes, each used once and short-lived.
- `client_attempts`: unauthenticated requests limited per client address (password
  resets asked for, wrong codes).

Revision ID: 0010
Revises: 0009

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "email_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("purpose IN ('verify', 'reset')", name=op.f("ck_email_codes_purpose")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_email_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_email_codes_code_hash")),
    )
    op.create_index(
        op.f("ix_email_codes_user_id_purpose_created_at"),
        "email_codes",
        ["user_id", "purpose", "created_at"],
    )
    op.create_table(
        "client_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_attempts")),
    )
    op.create_index(
        "ix_client_attempts_kind_client_at", "client_attempts", ["kind", "client", "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_client_attempts_kind_client_at", table_name="client_attempts")
    op.drop_table("client_attempts")
    op.drop_index(op.f("ix_email_codes_user_id_purpose_created_at"), table_name="email_codes")
    op.drop_table("email_codes")
    # SQLite drops the column in place: a batch copy of `users` would drop the old
    # table, and with it every row that refers to it.
    op.execute("ALTER TABLE users DROP COLUMN email_verified_at")
