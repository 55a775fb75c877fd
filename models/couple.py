"""Couples, their two partners and the invite codes that join them."""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, StringConstraints
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, created_at_field
from models.types import JSONInteger, RequestBody, TimeZoneName, not_null
from models.user import LoveLanguages
from models.vocabulary import AttachmentStyle, WeekStart, in_list

# Toward +1 against away/against -5: five turns toward balance one turn away or
# against, Gottman's 5:1 ratio. Bounds keep a couple's own weights meaningful.
DEFAULT_WEIGHTS = {"toward": 1, "away": -5, "against": -5}
WEIGHT_BOUND = 20

CoupleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class CoupleBase(SQLModel):
    name: str | None = Field(default=None, max_length=100)
    timezone: str = Field(default="UTC", max_length=64)
    week_starts: str = Field(default=WeekStart.monday, max_length=8)


class Couple(CoupleBase, table=True):
    __tablename__ = "couples"
    __table_args__ = (
        sa.CheckConstraint(in_list("week_starts", WeekStart), name="week_starts"),
        sa.CheckConstraint(
            f"weight_toward BETWEEN 1 AND {WEIGHT_BOUND}"
            f" AND weight_away BETWEEN -{WEIGHT_BOUND} AND -1"
            f" AND weight_against BETWEEN -{WEIGHT_BOUND} AND -1",
            name="weights",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    weight_toward: int = Field(default=DEFAULT_WEIGHTS["toward"])
    weight_away: int = Field(default=DEFAULT_WEIGHTS["away"])
    weight_against: int = Field(default=DEFAULT_WEIGHTS["against"])
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # The couple's change sequence at this row's last write (alembic/versions/0008).
    # Set by the database alone: no insert names it.
    change_seq: int | None = Field(
        default=None,
        nullable=False,
        sa_type=sa.BigInteger,
        sa_column_kwargs={"server_default": "0"},
    )
    # When a partner erased their account and left the couple to the other as a record
    # (api/users/erasure.py): it takes nothing new from then on.
    dissolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CoupleMember(SQLModel, table=True):
    """A partner of a couple. Two slots per couple make 'exactly two' a constraint."""

    __tablename__ = "couple_members"
    __table_args__ = (
        sa.UniqueConstraint("couple_id", "slot"),
        sa.CheckConstraint("slot IN (1, 2)", name="slot"),
    )

    couple_id: uuid.UUID = Field(foreign_key="couples.id", ondelete="CASCADE", primary_key=True)
    user_id: uuid.UUID = Field(
        foreign_key="users.id", ondelete="CASCADE", primary_key=True, index=True
    )
    slot: int = Field(sa_type=sa.SmallInteger)
    joined_at: datetime = created_at_field()


class CoupleInvite(SQLModel, table=True):
    __tablename__ = "couple_invites"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    couple_id: uuid.UUID = Field(foreign_key="couples.id", ondelete="CASCADE", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_by: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class Weights(BaseModel):
    toward: int
    away: int
    against: int

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> "Weights":
        """The weights of a `couples` row, or of any row with its `weight_*` columns."""
        return cls(
            toward=row["weight_toward"], away=row["weight_away"], against=row["weight_against"]
        )


Deposit = Annotated[int, PydanticField(ge=1, le=WEIGHT_BOUND), JSONInteger]
Withdrawal = Annotated[int, PydanticField(ge=-WEIGHT_BOUND, le=-1), JSONInteger]


class WeightsUpdate(RequestBody):
    toward: Deposit | None = None
    away: Withdrawal | None = None
    against: Withdrawal | None = None

    _not_null = not_null("toward", "away", "against")


class CoupleCreate(RequestBody):
    name: CoupleName | None = None
    timezone: TimeZoneName | None = None


class CoupleUpdate(RequestBody):
    name: CoupleName | None = None
    timezone: TimeZoneName | None = None
    week_starts: WeekStart | None = None
    weights: WeightsUpdate | None = None

    _not_null = not_null("timezone", "week_starts", "weights")


class JoinRequest(RequestBody):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class PartnerPublic(BaseModel):
    """A partner by name only: what a therapist sees."""

    id: uuid.UUID
    display_name: str


class PartnerProfile(PartnerPublic):
    """A partner as the couple's partners see each other: the name, and the profile of
    `/me` when it is the caller's own or its owner shares it (`share_profile`)."""

    love_languages: LoveLanguages | None = PydanticField(
        description="The partner's love languages. Always given on the caller's own entry; "
        "on the other partner's, null when that partner does not share their profile "
        "(a shared profile with none chosen is `{give: [], receive: []}`)."
    )
    attachment_style: AttachmentStyle | None = PydanticField(
        description="The partner's attachment style: null when none is set or, on the "
        "other partner's entry, when that partner does not share their profile "
        "(`love_languages` null tells which)."
    )


class InvitePublic(BaseModel):
    code: str
    expires_at: datetime


class CouplePublic(BaseModel):
    id: uuid.UUID
    name: str | None
    timezone: str
    week_starts: WeekStart
    partners: list[PartnerProfile]
    weights: Weights
    created_at: datetime
    dissolved_at: datetime | None = PydanticField(
        description="When the couple was dissolved: the other partner erased their account "
        '(`DELETE /me`), and a stand-in named "Former partner" took their place. A dissolved '
        "couple reads as before, but takes no new bid, perception, check-in, activity, "
        "invite or therapist grant (409 `couple-dissolved`). Null while both partners are "
        "there."
    )


class CoupleWithInvite(CouplePublic):
    invite: InvitePublic


class CoupleList(BaseModel):
    items: list[CouplePublic]
