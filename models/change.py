"""The changes feed: where each couple's change sequence stands, and the feed's pages."""

import uuid
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from models.activity import ActivityPublic
from models.bid import BidPublic
from models.checkin import CheckinPublic
from models.couple import CouplePublic


class CoupleChanges(SQLModel, table=True):
    """How far a couple's change sequence has run, and the highest value of a tombstone
    deleted for good (alembic/versions/0008)."""

    __tablename__ = "couple_changes"

    couple_id: uuid.UUID = Field(foreign_key="couples.id", ondelete="CASCADE", primary_key=True)
    seq: int = Field(default=0, sa_type=sa.BigInteger)
    purged_through: int = Field(default=0, sa_type=sa.BigInteger)


class ChangeType(StrEnum):
    bid = "bid"
    checkin = "checkin"
    activity = "activity"


class Tombstone(BaseModel):
    """Something the caller may hold and must drop: deleted, or (a partner's check-in)
    no longer the caller's to see."""

    type: ChangeType
    id: uuid.UUID


class ChangesPage(BaseModel):
    couple: CouplePublic | None = PydanticField(
        description="The couple as the caller sees it, when it changed in this page."
    )
    bids: list[BidPublic]
    checkins: list[CheckinPublic]
    activities: list[ActivityPublic]
    deleted: list[Tombstone]
    next_cursor: str = PydanticField(
        description="Where to go on: the next page while `has_more`, else the next sync."
    )
    has_more: bool
