"""Check-ins: each partner's rating of a local day (connection, outside stress, the
signs of distancing noticed), and their weekly rollup."""

import uuid
from datetime import date, datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import BaseModel, StrictBool
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from models.base import TOMBSTONES, UTCDateTime, created_at_field
from models.bid import Note
from models.types import JSONInteger, NoRepeats, RequestBody
from models.vocabulary import SIGNS, DistancingSign

SCALE_MIN, SCALE_MAX = 1, 10
# Every sign noticed at once, as bits (models/vocabulary.py).
ALL_SIGNS = (1 << len(SIGNS)) - 1

Scale = Annotated[int, PydanticField(ge=SCALE_MIN, le=SCALE_MAX), JSONInteger]

Signs = Annotated[list[DistancingSign], PydanticField(max_length=len(SIGNS)), NoRepeats]


class Checkin(SQLModel, table=True):
    """One partner's check-in for one local date of the couple. Putting the same date
    again replaces it in place; a deleted one stays as a tombstone for offline sync
    until the date is checked in again."""

    __tablename__ = "checkins"
    __table_args__ = (
        sa.Index("ix_checkins_couple_id_change_seq_id", "couple_id", "change_seq", "id"),
        sa.Index("ix_checkins_deleted_at", "deleted_at", **TOMBSTONES),
        sa.UniqueConstraint("couple_id", "partner_id", "local_date"),
        sa.Index("ix_checkins_couple_id_local_date", "couple_id", "local_date"),
        sa.CheckConstraint(f"connection BETWEEN {SCALE_MIN} AND {SCALE_MAX}", name="connection"),
        sa.CheckConstraint(f"stress BETWEEN {SCALE_MIN} AND {SCALE_MAX}", name="stress"),
        sa.CheckConstraint(f"signs BETWEEN 0 AND {ALL_SIGNS}", name="signs"),
    )

    id: uuid.UUID = Field(primary_key=True)
    couple_id: uuid.UUID = Field(foreign_key="couples.id", ondelete="CASCADE")
    partner_id: uuid.UUID = Field(foreign_key="users.id")
    local_date: date
    connection: int = Field(sa_type=sa.SmallInteger)
    stress: int = Field(sa_type=sa.SmallInteger)
    # The signs noticed, one bit each in the order of `DistancingSign`.
    signs: int = Field(default=0)
    note: str | None = Field(default=None, sa_type=sa.Text)
    private: bool = Field(default=False)
    version: int = Field(default=1)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The couple's change sequence at this row's last write (alembic/versions/0008).
    # Set by the database alone: no insert names it.
    change_seq: int | None = Field(
        default=None,
        nullable=False,
        sa_type=sa.BigInteger,
        sa_column_kwargs={"server_default": "0"},
    )


class CheckinWeek(SQLModel, table=True):
    """A partner's live check-ins in one week of the couple, paired or not: sums, so that
    averages and their spread come out on reading. Kept by triggers
    (alembic/versions/0007)."""

    __tablename__ = "checkin_weeks"

    couple_id: uuid.UUID = Field(foreign_key="couples.id", ondelete="CASCADE", primary_key=True)
    week_start: date = Field(primary_key=True)
    partner_id: uuid.UUID = Field(primary_key=True)
    # Whether the other partner has checked in for the same dates: only such check-ins
    # of the other partner count in the figures a partner reads (the reveal rule).
    paired: bool = Field(primary_key=True)
    checkins: int = Field(default=0)
    connection_sum: int = Field(default=0)
    connection_squares: int = Field(default=0)
    stress_sum: int = Field(default=0)
    # Check-ins that noticed each sign: `sign_<code>`.
    sign_difficulty_expressing_feelings: int = Field(default=0)
    sign_withholding_affection: int = Field(default=0)
    sign_intimacy_issues: int = Field(default=0)
    sign_lack_of_empathy: int = Field(default=0)
    sign_lack_of_support: int = Field(default=0)
    sign_communication_breakdown: int = Field(default=0)
    sign_different_emotional_needs: int = Field(default=0)
    sign_preference_for_being_alone: int = Field(default=0)
    sign_apathy_during_arguments: int = Field(default=0)
    sign_unhappiness: int = Field(default=0)
    sign_unresolved_conflicts: int = Field(default=0)
    sign_emotional_detachment: int = Field(default=0)
    sign_poor_listening: int = Field(default=0)
    sign_infidelity: int = Field(default=0)


SIGN_COLUMNS = tuple(f"sign_{sign.value}" for sign in SIGNS)
# The count columns of `checkin_weeks`, in table order.
CHECKIN_COUNTS = ("checkins", "connection_sum", "connection_squares", "stress_sum", *SIGN_COLUMNS)


class CheckinPut(RequestBody):
    connection: Scale = PydanticField(description="How connected the day felt, 1 to 10.")
    stress: Scale = PydanticField(description="Stress from outside the relationship, 1 to 10.")
    signs: Signs = PydanticField(
        default_factory=list, description="The signs of distancing noticed, each once."
    )
    note: Note | None = None
    private: StrictBool = False


class CheckinPublic(BaseModel):
    id: uuid.UUID
    couple_id: uuid.UUID
    partner_id: uuid.UUID
    date: date
    connection: int
    stress: int
    signs: list[DistancingSign]
    note: str | None = PydanticField(
        description="Null for the partner when the check-in is private."
    )
    private: bool
    created_at: datetime
    updated_at: datetime


class CheckinPage(BaseModel):
    items: list[CheckinPublic]
    next_cursor: str | None
