"""The therapist's answer to a couple whose two partners both granted access.

- `therapist_grants.answer` (`accepted` or `declined`, null until the therapist
  answers) and `answered_at`: the answer is written on both grants of the couple at
  once. Access stands while both grants say `accepted`; a grant given later (a new
  partner's) has no answer, so the couple awaits the therapist again.
- Existing grants are left unanswered: a couple whose partners had both granted
  access awaits the therapist, and leaves the caseload until the therapist accepts
  it. A therapist with more such couples than `THERAPIST_INVITATIONS_LIMIT` lists the
  oldest of them, and is granted no new couple until fewer await.
- On PostgreSQL the answer is heard by every worker: the trigger of 0009 NOTIFYs on
  every UPDATE of a grant already, the answer's included.

Revision ID: 0012
Revises: 0011

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nothing refers to `therapist_grants`: on SQLite, copying it to add the check is
    # safe, and it has no trigger there to lose.
    with op.batch_alter_table("therapist_grants") as batch:
        batch.add_column(sa.Column("answer", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint(
            op.f("ck_therapist_grants_answer"),
            "answer IS NULL OR answer IN ('accepted', 'declined')",
        )


def downgrade() -> None:
    with op.batch_alter_table("therapist_grants") as batch:
        batch.drop_constraint(op.f("ck_therapist_grants_answer"), type_="check")
        batch.drop_column("answered_at")
        batch.drop_column("answer")
