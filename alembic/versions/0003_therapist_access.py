"""Therapist access: each partner's grant, and the log of the therapist's reads.

- `therapist_grants` holds one row per partner who granted a therapist account. Its
  key onto `couple_members` removes a grant with the membership, so access is active
  exactly when a couple has two grants for the therapist.
- `access_log` is append-only: a trigger refuses every UPDATE on both engines. Rows go
  only with their couple (a cascade), never one by one through the API.

Revision ID: 0003
Revises: 0002

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSAL = "access_log is append-only"

_PG_APPEND_ONLY = [
    f"""
    CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{_REFUSAL}' USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER access_log_append_only BEFORE UPDATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()
    """,
]

_SQLITE_APPEND_ONLY = f"""
    CREATE TRIGGER access_log_append_only BEFORE UPDATE ON access_log
    BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END
"""


def upgrade() -> None:
    op.create_table(
        "therapist_grants",
        sa.Column("couple_id", sa.Uuid(), nullable=False),
        sa.Column("therapist_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["couple_id", "partner_id"],
            ["couple_members.couple_id", "couple_members.user_id"],
            name=op.f("fk_therapist_grants_couple_id_couple_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["therapist_id"],
            ["users.id"],
            name=op.f("fk_therapist_grants_therapist_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "couple_id", "therapist_id", "partner_id", name=op.f("pk_therapist_grants")
        ),
    )
    op.create_index(
        "ix_therapist_grants_therapist_id_couple_id",
        "therapist_grants",
        ["therapist_id", "couple_id"],
        unique=False,
    )
    op.create_table(
        "access_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("couple_id", sa.Uuid(), nullable=False),
        sa.Column("therapist_id", sa.Uuid(), nullable=False),
        sa.Column("therapist_name", sa.String(length=100), nullable=False),
        sa.Column("endpoint", sa.String(length=200), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=True),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_access_log_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index(
        "ix_access_log_couple_id_at_id", "access_log", ["couple_id", "at", "id"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in _PG_APPEND_ONLY:
            op.execute(statement)
    else:
        op.execute(_SQLITE_APPEND_ONLY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER access_log_append_only ON access_log")
        op.execute("DROP FUNCTION access_log_append_only()")
    else:
        op.execute("DROP TRIGGER access_log_append_only")
    op.drop_index("ix_access_log_couple_id_at_id", table_name="access_log")
    op.drop_table("access_log")
    op.drop_index("ix_therapist_grants_therapist_id_couple_id", table_name="therapist_grants")
    op.drop_table("therapist_grants")
