"""Shared activities: date nights, shared activities, check-in talks; and their weekly
rollup."""

import uuid
from datetime import date, datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from models.base import TOMBSTONES, UTCDateTime, created_at_field
from models.bid import MAX_BATCH, Instant, Note
from models.types import JSONInteger, RequestBody, not_null
from models.vocabulary import ActivityKind, in_list

# A day at most: a weekend away is logged a day at a time.
MAX_MINUTES = 24 * 60

Minutes = Annotated[int, PydanticField(ge=1, le=MAX_MINUTES), JSONInteger]


class Activity(SQLModel, table=True):
    __tablename__ = "activities"
    __table_args__ = (
        sa.Index("ix_activities_couple_id_change_seq_id", "couple_id", "change_seq", "id"),
        sa.Index("ix_activities_deleted_at", "deleted_at", **TOMBSTONES),
        sa.Index("ix_activities_couple_id_occurred_at_id", "couple_id", "occurred_at", "id"),
        sa.CheckConstraint(in_list("kind", ActivityKind), name="kind"),
        sa.CheckConstraint(
            f"duration_minutes IS NULL OR duration_minutes BETWEEN 1 AND {MAX_MINUTES}",
            name="duration_minutes",
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    couple_id: uuid.UUID = Field(foreign_key="couples.id", ondelete="CASCADE")
    logged_by: uuid.UUID = Field(foreign_key="users.id")
    kind: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    duration_minutes: int | None = Field(default=None)
    note: str | None = Field(default=None, sa_type=sa.Text)
    # Bumped by every change; the ETag is built from it.
    version: int = Field(default=1)
    # Digest of the create request as parsed, so a replay can be told from a clash.
    request_digest: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # A deleted activity stays as a tombstone for offline clients' sync.
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The couple's change sequence at this row's last write (alembic/versions/0008).
    # Set by the database alone: no insert names it.
    change_seq: int | None = Field(
        default=None,
        nullable=False,
        sa_type=sa.BigInteger,
        sa_column_kwargs={"server_default": "0"},
    )


class ActivityWeek(SQLModel, table=True):
    """A couple's live activities of one kind in one local week. Kept by triggers
    (alembic/versions/0007)."""

    __tablename__ = "activity_weeks"

    couple_id: uuid.UUID = Field(foreign_key="couples.id", ondelete="CASCADE", primary_key=True)
    week_start: date = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=32)
    activities: int = Field(default=0)
    minutes: int = Field(default=0)


class ActivityCreate(RequestBody):
    id: uuid.UUID | None = None
    kind: ActivityKind
    occurred_at: Instant
    duration_minutes: Minutes | None = None
    note: Note | None = None


class ActivityBatch(RequestBody):
    items: list[ActivityCreate] = PydanticField(
        min_length=1,
        max_length=MAX_BATCH,
        description="Up to 500 creates, each as `POST /couples/{couple_id}/activities` takes it.",
    )


class ActivityUpdate(RequestBody):
    kind: ActivityKind | None = None
    occurred_at: Instant | None = None
    duration_minutes: Minutes | None = None
    note: Note | None = None

    _not_null = not_null("kind", "occurred_at")


class ActivityPublic(BaseModel):
    id: uuid.UUID
    couple_id: uuid.UUID
    logged_by: uuid.UUID
    kind: ActivityKind
    occurred_at: datetime
    duration_minutes: int | None
    note: str | None
    created_at: datetime
    updated_at: datetime


class ActivityPage(BaseModel):
    items: list[ActivityPublic]
    next_cursor: str | None


class ActivityBatchItem(BaseModel):
    index: int = PydanticField(description="The item's position in the request's `items`.")
    created: bool = PydanticField(
        description="False for a replay of an earlier create: the stored activity, nothing written."
    )
    activity: ActivityPublic


class ActivityBatchResult(BaseModel):
    items: list[ActivityBatchItem]
