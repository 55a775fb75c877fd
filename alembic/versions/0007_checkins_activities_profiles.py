"""Check-ins, shared activities and their weekly rollups; a shared profile setting.

- `checkins`: one row per partner and local date of the couple; the signs of distancing
  noticed are bits, the first of the 14 codes (below, in the order of
  `models/vocabulary.py:DistancingSign`) the lowest.
- `activities`: date nights and other shared time, created idempotently like bids.
- `activity_weeks`: counts per week and kind, kept by triggers in the transaction of
  every write, as `bid_weeks` is (0002, 0006): each write adds its row and takes the old
  one away; a tombstone counts nowhere. An activity's week is that of its `occurred_at`
  in the couple's time zone.
- `checkin_weeks`: counts and sums per week, partner and `paired`: a check-in is paired
  while the other partner has a live check-in for the same date. A partner may see the
  other's check-in only for such a date (the reveal rule), so the figures a partner
  reads count their own check-ins and the other's paired ones. One check-in's write
  changes the pairing of the other's check-in for that date, so a write counts its
  week again from the check-ins (at most 14 rows), rather than adding a difference.
- A new week start (and, for activities, a new time zone) counts the couple's rows
  again, from a trigger on `couples`.
- Every write of either bumps `bid_versions`, which thus counts every write that moves
  a couple's figures: a trends read checks it to know whether its figures changed.
- On PostgreSQL the triggers run per row (these writes come one at a time) and take a
  share lock on the couple first, as the bid triggers do, so a change of calendar waits
  for them and they wait for it. Check-in writes of one couple also take a lock of
  their own (an advisory lock), one at a time: each counts its week again from what
  the one before committed, so two partners checking in for the same date at once
  both end up paired.
- `users.share_profile`: whether the partner sees love languages and attachment style.

Revision ID: 0007
Revises: 0006

"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNS = (
    "difficulty_expressing_feelings",
    "withholding_affection",
    "intimacy_issues",
    "lack_of_empathy",
    "lack_of_support",
    "communication_breakdown",
    "different_emotional_needs",
    "preference_for_being_alone",
    "apathy_during_arguments",
    "unhappiness",
    "unresolved_conflicts",
    "emotional_detachment",
    "poor_listening",
    "infidelity",
)
KINDS = ("date_night", "shared_activity", "checkin_talk", "other")
CHECKIN_COUNTS = (
    "checkins",
    "connection_sum",
    "connection_squares",
    "stress_sum",
    *(f"sign_{sign}" for sign in SIGNS),
)
ACTIVITY_COUNTS = ("activities", "minutes")


def _checkin_terms(row: str) -> list[str]:
    """What one check-in adds to each count, in `CHECKIN_COUNTS` order."""
    return [
        "1",
        f"{row}.connection",
        f"{row}.connection * {row}.connection",
        f"{row}.stress",
        *(
            f"(CASE WHEN ({row}.signs & {1 << bit}) <> 0 THEN 1 ELSE 0 END)"
            for bit in range(len(SIGNS))
        ),
    ]


def _activity_terms(row: str) -> list[str]:
    return ["1", f"coalesce({row}.duration_minutes, 0)"]


def _date_week(dialect: str, day: str) -> str:
    """The first day of the couple's (`c`) week that holds the date `day`."""
    if dialect == "postgresql":
        return (
            f"({day} - CASE WHEN c.week_starts = 'sunday' THEN extract(dow FROM {day})::int"
            f" ELSE extract(isodow FROM {day})::int - 1 END)"
        )
    # SQLite keeps dates as ISO text; %w is 0 on Sundays.
    return (
        f"date({day}, '-' || ((CAST(strftime('%w', {day}) AS INTEGER)"
        f" + CASE WHEN c.week_starts = 'sunday' THEN 0 ELSE 6 END) % 7) || ' days')"
    )


def _instant_week(dialect: str, at: str) -> str:
    return f"toward_week_start({at}, c.timezone, c.week_starts)"


class _Rollup:
    """A table whose live rows are counted per week into a rollup table."""

    def __init__(
        self,
        table: str,
        rollup: str,
        key: str,
        counts: Sequence[str],
        terms: Callable[[str], list[str]],
        week_of: Callable[[str, str], str],
        when_column: str,
        calendar: Sequence[str],
    ) -> None:
        self.table, self.rollup, self.key, self.counts = table, rollup, key, counts
        self.terms = terms  # row name -> the terms
        self.week_of = week_of  # (dialect, row name) -> the week expression
        self.when_column = when_column  # the column whose week is counted
        self.calendar = calendar  # the couple's columns that decide the week

    def _insert(self) -> str:
        return (
            f"INSERT INTO {self.rollup} (couple_id, week_start, {self.key}, "
            f"{', '.join(self.counts)})"
        )

    def _upsert(self) -> str:
        return f"ON CONFLICT (couple_id, week_start, {self.key}) DO UPDATE SET " + ", ".join(
            f"{name} = {self.rollup}.{name} + excluded.{name}" for name in self.counts
        )

    def count_row(self, dialect: str, row: str, sign: str) -> str:
        """Add (`sign` 1) or take away (-1) one row's contribution."""
        terms = ", ".join(f"{sign} * {term}" for term in self.terms(row))
        week = self.week_of(dialect, f"{row}.{self.when_column}")
        return (
            f"{self._insert()} SELECT {row}.couple_id, {week}, {row}.{self.key}, {terms} "
            f"FROM couples AS c WHERE c.id = {row}.couple_id AND {row}.deleted_at IS NULL "
            f"{self._upsert()};"
        )

    def count_all(self, dialect: str, couple: str) -> str:
        sums = ", ".join(f"sum({term})" for term in self.terms("t"))
        week = self.week_of(dialect, f"t.{self.when_column}")
        return (
            f"{self._insert()} SELECT t.couple_id, {week}, t.{self.key}, {sums} "
            f"FROM {self.table} AS t JOIN couples AS c ON c.id = t.couple_id "
            f"WHERE t.couple_id = {couple} AND t.deleted_at IS NULL GROUP BY 1, 2, 3 "
            f"{self._upsert()};"
        )

    def _calendar_changed(self, distinct: str) -> str:
        return " OR ".join(f"OLD.{column} {distinct} NEW.{column}" for column in self.calendar)

    def postgresql(self) -> list[str]:
        bump = (
            "INSERT INTO bid_versions AS v (couple_id, version) VALUES ({row}.couple_id, 1)"
            " ON CONFLICT (couple_id) DO UPDATE SET version = v.version + 1;"
        )
        return [
            f"""
            CREATE FUNCTION {self.rollup}_on_write() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP <> 'DELETE' THEN
                    PERFORM 1 FROM couples WHERE id = NEW.couple_id FOR SHARE;
                ELSE
                    PERFORM 1 FROM couples WHERE id = OLD.couple_id FOR SHARE;
                END IF;
                IF TG_OP <> 'INSERT' THEN
                    {self.count_row("postgresql", "OLD", "-1")}
                END IF;
                IF TG_OP <> 'DELETE' THEN
                    {self.count_row("postgresql", "NEW", "1")}
                    {bump.format(row="NEW")}
                ELSE
                    {bump.format(row="OLD")}
                END IF;
                RETURN NULL;
            END
            $$
            """,
            f"""
            CREATE TRIGGER {self.rollup}_on_write AFTER INSERT OR UPDATE OR DELETE
            ON {self.table} FOR EACH ROW EXECUTE FUNCTION {self.rollup}_on_write()
            """,
            f"""
            CREATE FUNCTION {self.rollup}_on_new_calendar() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM {self.rollup} WHERE couple_id = NEW.id;
                {self.count_all("postgresql", "NEW.id")}
                RETURN NULL;
            END
            $$
            """,
            f"""
            CREATE TRIGGER {self.rollup}_on_new_calendar
            AFTER UPDATE OF {", ".join(self.calendar)} ON couples FOR EACH ROW
            WHEN ({self._calendar_changed("IS DISTINCT FROM")})
            EXECUTE FUNCTION {self.rollup}_on_new_calendar()
            """,
        ]

    def sqlite(self) -> list[str]:
        def bump(row: str) -> str:
            return (
                f"INSERT INTO bid_versions (couple_id, version) VALUES ({row}.couple_id, 1) "
                "ON CONFLICT (couple_id) DO UPDATE SET version = bid_versions.version + 1;"
            )

        return [
            f"""
            CREATE TRIGGER {self.rollup}_on_insert AFTER INSERT ON {self.table}
            BEGIN {self.count_row("sqlite", "NEW", "1")} {bump("NEW")} END
            """,
            f"""
            CREATE TRIGGER {self.rollup}_on_update AFTER UPDATE ON {self.table}
            BEGIN {self.count_row("sqlite", "OLD", "-1")} {self.count_row("sqlite", "NEW", "1")}
            {bump("NEW")} END
            """,
            f"""
            CREATE TRIGGER {self.rollup}_on_delete AFTER DELETE ON {self.table}
            BEGIN {self.count_row("sqlite", "OLD", "-1")} {bump("OLD")} END
            """,
            f"""
            CREATE TRIGGER {self.rollup}_on_new_calendar
            AFTER UPDATE OF {", ".join(self.calendar)} ON couples
            WHEN {self._calendar_changed("IS NOT")}
            BEGIN
                DELETE FROM {self.rollup} WHERE couple_id = NEW.id;
                {self.count_all("sqlite", "NEW.id")}
            END
            """,
        ]

    def drop(self, dialect: str) -> list[str]:
        if dialect == "postgresql":
            return [
                f"DROP TRIGGER {self.rollup}_on_new_calendar ON couples",
                f"DROP FUNCTION {self.rollup}_on_new_calendar()",
                f"DROP TRIGGER {self.rollup}_on_write ON {self.table}",
                f"DROP FUNCTION {self.rollup}_on_write()",
            ]
        return [
            f"DROP TRIGGER {self.rollup}_on_{event}"
            for event in ("insert", "update", "delete", "new_calendar")
        ]


ACTIVITIES = _Rollup(
    "activities",
    "activity_weeks",
    "kind",
    ACTIVITY_COUNTS,
    _activity_terms,
    _instant_week,
    "occurred_at",
    ("timezone", "week_starts"),
)


def _plus_week(dialect: str, day: str) -> str:
    return f"({day} + 7)" if dialect == "postgresql" else f"date({day}, '+7 days')"


_CHECKIN_INTO = (
    f"INSERT INTO checkin_weeks (couple_id, week_start, partner_id, paired, "
    f"{', '.join(CHECKIN_COUNTS)})"
)
# Whether the other partner has a live check-in for the same date as `t`.
_PAIRED = (
    "EXISTS (SELECT 1 FROM checkins AS o WHERE o.couple_id = t.couple_id"
    " AND o.local_date = t.local_date AND o.partner_id <> t.partner_id"
    " AND o.deleted_at IS NULL)"
)


def _checkin_count(dialect: str, couple: str, day: str | None) -> str:
    """Count the live check-ins of `couple` into `checkin_weeks`: those of the week that
    holds the date `day`, or all of them (None). The rows counted must be gone first."""
    sums = ", ".join(f"sum({term})" for term in _checkin_terms("t"))
    if day is None:
        week, only = _date_week(dialect, "t.local_date"), ""
    else:
        week = _date_week(dialect, day)
        only = f"AND t.local_date >= {week} AND t.local_date < {_plus_week(dialect, week)} "
    return (
        f"{_CHECKIN_INTO} SELECT t.couple_id, {week}, t.partner_id, {_PAIRED}, {sums} "
        "FROM checkins AS t JOIN couples AS c ON c.id = t.couple_id "
        f"WHERE t.couple_id = {couple} AND t.deleted_at IS NULL {only}GROUP BY 1, 2, 3, 4;"
    )


def _checkin_forget(dialect: str, couple: str, day: str) -> str:
    """Take away the counts of the week of `couple` that holds the date `day`."""
    week = _date_week(dialect, day)
    return (
        f"DELETE FROM checkin_weeks WHERE couple_id = {couple} AND week_start = "
        f"(SELECT {week} FROM couples AS c WHERE c.id = {couple});"
    )


def _checkin_recount(dialect: str, row: str) -> str:
    """Count again the week of the check-in `row` (NEW or OLD)."""
    couple, day = f"{row}.couple_id", f"{row}.local_date"
    return _checkin_forget(dialect, couple, day) + " " + _checkin_count(dialect, couple, day)


_VERSION_BUMP_SQLITE = (
    "INSERT INTO bid_versions (couple_id, version) VALUES ({row}.couple_id, 1) "
    "ON CONFLICT (couple_id) DO UPDATE SET version = bid_versions.version + 1;"
)


def _checkins_postgresql() -> list[str]:
    return [
        f"""
        CREATE FUNCTION checkin_weeks_on_write() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            couple uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.couple_id ELSE NEW.couple_id END;
        BEGIN
            PERFORM 1 FROM couples WHERE id = couple FOR SHARE;
            PERFORM pg_advisory_xact_lock(hashtextextended('checkin_weeks ' || couple::text, 0));
            IF TG_OP <> 'INSERT' THEN
                {_checkin_recount("postgresql", "OLD")}
            END IF;
            IF TG_OP <> 'DELETE' THEN
                {_checkin_recount("postgresql", "NEW")}
            END IF;
            INSERT INTO bid_versions AS v (couple_id, version) VALUES (couple, 1)
            ON CONFLICT (couple_id) DO UPDATE SET version = v.version + 1;
            RETURN NULL;
        END
        $$
        """,
        """
        CREATE TRIGGER checkin_weeks_on_write AFTER INSERT OR UPDATE OR DELETE
        ON checkins FOR EACH ROW EXECUTE FUNCTION checkin_weeks_on_write()
        """,
        f"""
        CREATE FUNCTION checkin_weeks_on_new_calendar() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM checkin_weeks WHERE couple_id = NEW.id;
            {_checkin_count("postgresql", "NEW.id", None)}
            RETURN NULL;
        END
        $$
        """,
        """
        CREATE TRIGGER checkin_weeks_on_new_calendar
        AFTER UPDATE OF week_starts ON couples FOR EACH ROW
        WHEN (OLD.week_starts IS DISTINCT FROM NEW.week_starts)
        EXECUTE FUNCTION checkin_weeks_on_new_calendar()
        """,
    ]


def _checkins_sqlite() -> list[str]:
    def recount(*rows: str) -> str:
        return " ".join(_checkin_recount("sqlite", row) for row in rows)

    return [
        f"""
        CREATE TRIGGER checkin_weeks_on_insert AFTER INSERT ON checkins
        BEGIN {recount("NEW")} {_VERSION_BUMP_SQLITE.format(row="NEW")} END
        """,
        f"""
        CREATE TRIGGER checkin_weeks_on_update AFTER UPDATE ON checkins
        BEGIN {recount("OLD", "NEW")} {_VERSION_BUMP_SQLITE.format(row="NEW")} END
        """,
        f"""
        CREATE TRIGGER checkin_weeks_on_delete AFTER DELETE ON checkins
        BEGIN {recount("OLD")} {_VERSION_BUMP_SQLITE.format(row="OLD")} END
        """,
        f"""
        CREATE TRIGGER checkin_weeks_on_new_calendar
        AFTER UPDATE OF week_starts ON couples
        WHEN OLD.week_starts IS NOT NEW.week_starts
        BEGIN
            DELETE FROM checkin_weeks WHERE couple_id = NEW.id;
            {_checkin_count("sqlite", "NEW.id", None)}
        END
        """,
    ]


def _checkins_drop(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "DROP TRIGGER checkin_weeks_on_new_calendar ON couples",
            "DROP FUNCTION checkin_weeks_on_new_calendar()",
            "DROP TRIGGER checkin_weeks_on_write ON checkins",
            "DROP FUNCTION checkin_weeks_on_write()",
        ]
    return [
        f"DROP TRIGGER checkin_weeks_on_{event}"
        for event in ("insert", "update", "delete", "new_calendar")
    ]


def _in_list(column: str, values: Sequence[str]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("share_profile", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    # Profiles entered before this revision were private to their owner: they stay so
    # until the owner chooses to share. New accounts share by default.
    op.execute("UPDATE users SET share_profile = false")
    op.create_table(
        "checkins",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("couple_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("connection", sa.SmallInteger(), nullable=False),
        sa.Column("stress", sa.SmallInteger(), nullable=False),
        sa.Column("signs", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("connection BETWEEN 1 AND 10", name=op.f("ck_checkins_connection")),
        sa.CheckConstraint("stress BETWEEN 1 AND 10", name=op.f("ck_checkins_stress")),
        sa.CheckConstraint(
            f"signs BETWEEN 0 AND {(1 << len(SIGNS)) - 1}", name=op.f("ck_checkins_signs")
        ),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_checkins_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["users.id"], name=op.f("fk_checkins_partner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint(
            "couple_id",
            "partner_id",
            "local_date",
            name=op.f("uq_checkins_couple_id_partner_id_local_date"),
        ),
    )
    op.create_index("ix_checkins_couple_id_local_date", "checkins", ["couple_id", "local_date"])
    op.create_table(
        "checkin_weeks",
        sa.Column("couple_id", sa.Uuid(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("paired", sa.Boolean(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in CHECKIN_COUNTS),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_checkin_weeks_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "couple_id", "week_start", "partner_id", "paired", name=op.f("pk_checkin_weeks")
        ),
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("couple_id", sa.Uuid(), nullable=False),
        sa.Column("logged_by", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(_in_list("kind", KINDS), name=op.f("ck_activities_kind")),
        sa.CheckConstraint(
            "duration_minutes IS NULL OR duration_minutes BETWEEN 1 AND 1440",
            name=op.f("ck_activities_duration_minutes"),
        ),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_activities_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["logged_by"], ["users.id"], name=op.f("fk_activities_logged_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    op.create_index(
        "ix_activities_couple_id_occurred_at_id", "activities", ["couple_id", "occurred_at", "id"]
    )
    op.create_table(
        "activity_weeks",
        sa.Column("couple_id", sa.Uuid(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in ACTIVITY_COUNTS),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_activity_weeks_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("couple_id", "week_start", "kind", name=op.f("pk_activity_weeks")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        statements = [*_checkins_postgresql(), *ACTIVITIES.postgresql()]
    else:
        statements = [*_checkins_sqlite(), *ACTIVITIES.sqlite()]
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in [*_checkins_drop(dialect), *ACTIVITIES.drop(dialect)]:
        op.execute(statement)
    op.drop_table("activity_weeks")
    op.drop_index("ix_activities_couple_id_occurred_at_id", table_name="activities")
    op.drop_table("activities")
    op.drop_table("checkin_weeks")
    op.drop_index("ix_checkins_couple_id_local_date", table_name="checkins")
    op.drop_table("checkins")
    if dialect == "sqlite":
        # Not a batch copy: dropping the old `users` would cascade to every row that
        # refers to it (the app's connections enforce foreign keys). SQLite 3.35+.
        op.execute("ALTER TABLE users DROP COLUMN share_profile")
    else:
        op.drop_column("users", "share_profile")
