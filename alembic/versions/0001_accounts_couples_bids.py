"""Accounts, refresh tokens, login failures, couples, invites and bids.

Revision ID: 0001
Revises:

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "couples",
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("week_starts", sa.String(length=8), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("weight_toward", sa.Integer(), nullable=False),
        sa.Column("weight_away", sa.Integer(), nullable=False),
        sa.Column("weight_against", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "week_starts IN ('monday', 'sunday')", name=op.f("ck_couples_week_starts")
        ),
        sa.CheckConstraint(
            "weight_toward BETWEEN 1 AND 20 AND weight_away BETWEEN -20 AND -1 AND weight_against BETWEEN -20 AND -1",
            name=op.f("ck_couples_weights"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_couples")),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_client_at", "login_failures", ["client", "at"], unique=False)
    op.create_index("ix_login_failures_email_at", "login_failures", ["email", "at"], unique=False)

    op.create_table(
        "users",
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("account_type", sa.String(length=16), nullable=False),
        sa.Column("love_languages", sa.JSON(), nullable=False),
        sa.Column("attachment_style", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "account_type IN ('partner', 'therapist')", name=op.f("ck_users_account_type")
        ),
        sa.CheckConstraint(
            "attachment_style IS NULL OR attachment_style IN ('secure', 'anxious', 'avoidant', 'disorganized')",
            name=op.f("ck_users_attachment_style"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "bids",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("couple_id", sa.Uuid(), nullable=False),
        sa.Column("bidder_id", sa.Uuid(), nullable=False),
        sa.Column("responder_id", sa.Uuid(), nullable=False),
        sa.Column("logged_by", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("repair", sa.Boolean(), nullable=False),
        sa.Column("bidder_response", sa.String(length=8), nullable=True),
        sa.Column("bidder_style", sa.String(length=16), nullable=True),
        sa.Column("responder_response", sa.String(length=8), nullable=True),
        sa.Column("responder_style", sa.String(length=16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "bidder_response IS NULL OR bidder_response IN ('toward', 'away', 'against')",
            name=op.f("ck_bids_bidder_response"),
        ),
        sa.CheckConstraint(
            "channel IS NULL OR channel IN ('verbal', 'nonverbal', 'written')",
            name=op.f("ck_bids_channel"),
        ),
        sa.CheckConstraint(
            "kind IN ('attention', 'affection', 'humor', 'support', 'conversation', 'interest', 'play', 'self_disclosure', 'help', 'intimacy', 'other')",
            name=op.f("ck_bids_kind"),
        ),
        sa.CheckConstraint(
            "responder_response IS NULL OR responder_response IN ('toward', 'away', 'against')",
            name=op.f("ck_bids_responder_response"),
        ),
        sa.CheckConstraint("bidder_id <> responder_id", name=op.f("ck_bids_two_partners")),
        sa.ForeignKeyConstraint(["bidder_id"], ["users.id"], name=op.f("fk_bids_bidder_id_users")),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_bids_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["logged_by"], ["users.id"], name=op.f("fk_bids_logged_by_users")),
        sa.ForeignKeyConstraint(
            ["responder_id"], ["users.id"], name=op.f("fk_bids_responder_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bids")),
    )
    op.create_index(
        "ix_bids_couple_id_occurred_at_id", "bids", ["couple_id", "occurred_at", "id"], unique=False
    )

    op.create_table(
        "couple_invites",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("couple_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_couple_invites_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_couple_invites_created_by_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_couple_invites")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_couple_invites_code_hash")),
    )
    op.create_index(
        op.f("ix_couple_invites_couple_id"), "couple_invites", ["couple_id"], unique=False
    )

    op.create_table(
        "couple_members",
        sa.Column("couple_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("slot", sa.SmallInteger(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("slot IN (1, 2)", name=op.f("ck_couple_members_slot")),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_couple_members_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_couple_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("couple_id", "user_id", name=op.f("pk_couple_members")),
        sa.UniqueConstraint("couple_id", "slot", name=op.f("uq_couple_members_couple_id_slot")),
    )
    op.create_index(op.f("ix_couple_members_user_id"), "couple_members", ["user_id"], unique=False)

    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"], unique=False
    )
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_refresh_tokens_user_id"), table_name="refresh_tokens")
    op.drop_index(op.f("ix_refresh_tokens_family_id"), table_name="refresh_tokens")

    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_couple_members_user_id"), table_name="couple_members")

    op.drop_table("couple_members")
    op.drop_index(op.f("ix_couple_invites_couple_id"), table_name="couple_invites")

    op.drop_table("couple_invites")
    op.drop_index("ix_bids_couple_id_occurred_at_id", table_name="bids")

    op.drop_table("bids")
    op.drop_table("users")
    op.drop_index("ix_login_failures_email_at", table_name="login_failures")
    op.drop_index("ix_login_failures_client_at", table_name="login_failures")

    op.drop_table("login_failures")
    op.drop_table("couples")
