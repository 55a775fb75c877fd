"""A change of a therapist's grants is heard by every worker.

On PostgreSQL, a grant given or revoked NOTIFYs `toward_changes` with
`'<therapist id> 0'` at commit, as a couple's writes do with the couple's id (0008):
a worker that holds a therapist's ranked caseload (api/therapists/caseload.py) reads
it again once a couple joins or leaves it. No stream listens under a therapist's id,
and no value of a sequence is taken. SQLite has no notices; nothing is held there.

Revision ID: 0009
Revises: 0008

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION therapist_grants_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                PERFORM pg_notify('toward_changes', OLD.therapist_id::text || ' 0');
            END IF;
            IF TG_OP <> 'DELETE' THEN
                PERFORM pg_notify('toward_changes', NEW.therapist_id::text || ' 0');
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER therapist_grants_changed AFTER INSERT OR UPDATE OR DELETE
        ON therapist_grants FOR EACH ROW EXECUTE FUNCTION therapist_grants_changed()
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER therapist_grants_changed ON therapist_grants")
    op.execute("DROP FUNCTION therapist_grants_changed()")
