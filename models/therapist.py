"""A therapist's access to a couple: each partner's grant, the log of the therapist's
reads, and what the therapist sees (aggregates only, never a note)."""

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, created_at_field
from models.couple import PartnerPublic, Weights
from models.trend import (
    ActivityFigures,
    CheckinFigures,
    Direction,
    Figures,
    Flag,
    PursuerDistancer,
)
from models.types import EmailAddress, RequestBody
from models.vocabulary import WeekStart, in_list


class Answer(StrEnum):
    """The therapist's answer to a couple whose two partners both granted access."""

    accepted = "accepted"
    declined = "declined"


class TherapistGrant(SQLModel, table=True):
    """One partner's consent for one therapist account. The grant belongs to the
    membership (a composite key onto `couple_members`): it goes when the partner does,
    so two grants on a couple always mean both of its partners. The therapist's answer
    is written on both grants of the couple at once: access stands while both say
    `accepted`, and a grant given later (a new partner's) has none, so it must be
    accepted again."""

    __tablename__ = "therapist_grants"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["couple_id", "partner_id"],
            ["couple_members.couple_id", "couple_members.user_id"],
            ondelete="CASCADE",
        ),
        sa.Index(None, "therapist_id", "couple_id"),
        sa.CheckConstraint("answer IS NULL OR " + in_list("answer", Answer), name="answer"),
    )

    couple_id: uuid.UUID = Field(primary_key=True)
    therapist_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True)
    partner_id: uuid.UUID = Field(primary_key=True)
    granted_at: datetime = created_at_field()
    answer: str | None = Field(default=None, max_length=16)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AccessLogEntry(SQLModel, table=True):
    """A therapist's read of a couple. Append-only: the API has no path that changes
    or removes an entry, and the database refuses an UPDATE (alembic/versions/0003).
    The therapist's id is kept without a foreign key, and the name as it was, so the
    entry outlives the therapist's account; it goes only with the couple."""

    __tablename__ = "access_log"
    __table_args__ = (sa.Index(None, "couple_id", "at", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    couple_id: uuid.UUID = Field(foreign_key="couples.id", ondelete="CASCADE")
    therapist_id: uuid.UUID
    therapist_name: str = Field(max_length=100)
    endpoint: str = Field(max_length=200)
    # The window a trends read or an export asked for (`end` null: up to that day).
    weeks: int | None = None
    end_on: date | None = None
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class GrantStatus(StrEnum):
    """`pending` until both partners granted, then `awaiting_therapist` until the
    therapist accepts (`active`) or declines (`declined`)."""

    pending = "pending"
    awaiting_therapist = "awaiting_therapist"
    active = "active"
    declined = "declined"


class GrantCreate(RequestBody):
    email: EmailAddress


class GrantPublic(BaseModel):
    therapist_id: uuid.UUID
    display_name: str
    email: str
    status: GrantStatus
    granted_by: list[uuid.UUID]
    active_since: datetime | None = Field(
        description="When the therapist accepted the couple: null unless `active`."
    )
    answered_at: datetime | None = Field(
        description="When the therapist accepted or declined: null until then."
    )


class GrantList(BaseModel):
    items: list[GrantPublic]


class InvitationPublic(BaseModel):
    """A couple awaiting the therapist's answer: the partners' names, nothing else."""

    couple_id: uuid.UUID
    partners: list[PartnerPublic]
    invited_at: datetime = Field(description="When the second partner granted access.")


class InvitationList(BaseModel):
    items: list[InvitationPublic]


class InvitationAnswer(InvitationPublic):
    """The couple as the therapist's answer left it."""

    status: GrantStatus
    answered_at: datetime | None = Field(
        description="When the therapist accepted or declined (the first time, for an "
        "answer given again)."
    )


class AccessLogPublic(BaseModel):
    id: uuid.UUID
    therapist_id: uuid.UUID
    therapist_name: str
    endpoint: str
    weeks: int | None
    end: date | None
    at: datetime


class AccessLogPage(BaseModel):
    items: list[AccessLogPublic]
    next_cursor: str | None


class PeriodFigures(Figures):
    """A couple's figures over whole weeks, as the weekly trends count them."""

    first_week: date
    last_week: date
    checkins: CheckinFigures
    activities: ActivityFigures


class RiskCode(StrEnum):
    """What adds to a couple's risk score; the rules are in docs/metrics.md."""

    turn_toward_level = "turn-toward-level"
    declining = "declining"
    turn_toward_low = "turn-toward-low"
    against_rising = "against-rising"
    pursuer_distancer = "pursuer-distancer"
    not_logging = "not-logging"
    distancing_rising = "distancing-rising"
    connection_falling = "connection-falling"
    stress_and_turning_away = "stress-and-turning-away"
    no_shared_time = "no-shared-time"


class RiskFactor(BaseModel):
    code: RiskCode
    points: int


class CaseloadCouple(BaseModel):
    """One couple of a caseload: partners' display names and figures only, never a note
    or other text a partner wrote. `direction`, `flags` and `pursuer_distancer` are
    those of the couple's default trends read (the 12 weeks up to today)."""

    couple_id: uuid.UUID
    partners: list[PartnerPublic]
    timezone: str
    week_starts: WeekStart
    weights: Weights
    access_since: datetime = Field(description="When the therapist accepted the couple.")
    last_activity_on: date | None = Field(
        description="The local date of the couple's latest bid: a date, not a time."
    )
    last_week: PeriodFigures = Field(description="The last whole week before this one.")
    last_4_weeks: PeriodFigures = Field(
        description="The four whole weeks that end with `last_week`."
    )
    turn_toward_rate_4w: float | None = Field(
        description="As in the trends' summary: the 4 weeks to this one, this week so far included."
    )
    direction: Direction
    turn_toward_change: float | None
    pursuer_distancer: PursuerDistancer | None
    flags: list[Flag]
    risk: int = Field(
        description="0 to 100: the sum of `risk_factors`, at most 100 (docs/metrics.md has "
        "the rules)."
    )
    risk_factors: list[RiskFactor]


class Caseload(BaseModel):
    items: list[CaseloadCouple]
    next_cursor: str | None
