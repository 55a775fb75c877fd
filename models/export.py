"""The export of a user's own data (`GET /me/export`): the exports a user started, which
its limits count, and the document's shape."""

import uuid
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from models.activity import ActivityPublic
from models.base import UTCDateTime
from models.bid import BidPublic
from models.checkin import CheckinPublic
from models.couple import CouplePublic
from models.therapist import AccessLogPublic, GrantPublic, GrantStatus
from models.user import UserPublic

# The document's version: a change that could break a reader (a field renamed, moved or
# retyped) makes it 2; new fields keep it.
SCHEMA_VERSION = 1


class Export(SQLModel, table=True):
    """An export started; `ended_at` null while it streams (or if its worker died while
    it did: then it counts as running until `EXPORT_SECONDS` have passed)."""

    __tablename__ = "exports"
    __table_args__ = (sa.Index("ix_exports_user_id_started_at", "user_id", "started_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Account(UserPublic):
    """The account as `GET /me` shows it, and when it was made."""

    created_at: datetime


class ExportedCouple(BaseModel):
    couple: CouplePublic = PydanticField(description="As `GET /couples/{couple_id}`.")
    bids: list[BidPublic] = PydanticField(
        description="As the pages of `GET /couples/{couple_id}/bids`, newest first."
    )
    checkins: list[CheckinPublic] = PydanticField(
        description="As the pages of `GET /couples/{couple_id}/checkins`, newest date first."
    )
    activities: list[ActivityPublic] = PydanticField(
        description="As the pages of `GET /couples/{couple_id}/activities`, newest first."
    )
    grants: list[GrantPublic] = PydanticField(
        description="As `GET /couples/{couple_id}/therapists`."
    )
    access_log: list[AccessLogPublic] = PydanticField(
        description="As the pages of `GET /couples/{couple_id}/access-log`, newest first."
    )


class GrantReceived(BaseModel):
    """A couple whose two partners granted the therapist access: no name and no figure."""

    couple_id: uuid.UUID
    status: GrantStatus
    granted_at: datetime = PydanticField(description="When both had granted: the second grant.")
    answered_at: datetime | None = PydanticField(
        description="When the therapist accepted or declined; null while the couple awaits."
    )


class ExportDocument(BaseModel):
    schema_version: Literal[1]
    exported_at: datetime
    account: Account
    couples: list[ExportedCouple]
    grants_received: list[GrantReceived]
