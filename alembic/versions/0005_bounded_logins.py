"""Bounded logins, limited registrations, tombstones without digests.

- `refresh_tokens.login_expires_at`: the end of the login a token belongs to, which
  rotation carries and no token outlives. Tokens issued before it get their own expiry
  as the login's end: those logins end at most one token lifetime from now.
- `registration_attempts`: registrations per client address, for their rate limit.
- `login_failures.device`: the device (a device token's id) whose login failed, so
  that a known device's failures are counted apart from strangers'.
- Deleted bids keep no digest of the request that created them (a short note could be
  guessed back from it); an empty digest matches no request, so a replay of a deleted
  id stays a conflict. The digests cannot come back on downgrade.

Revision ID: 0005
Revises: 0004

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "refresh_tokens",
        sa.Column("login_expires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute("UPDATE refresh_tokens SET login_expires_at = expires_at")
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.alter_column(
            "login_expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )

    op.add_column("login_failures", sa.Column("device", sa.Uuid(), nullable=True))

    op.create_table(
        "registration_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_attempts")),
    )
    op.create_index("ix_registration_attempts_client_at", "registration_attempts", ["client", "at"])

    op.execute("UPDATE bids SET request_digest = '' WHERE deleted_at IS NOT NULL")


def downgrade() -> None:
    op.drop_index("ix_registration_attempts_client_at", table_name="registration_attempts")
    op.drop_table("registration_attempts")
    with op.batch_alter_table("login_failures") as batch:
        batch.drop_column("device")
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.drop_column("login_expires_at")
