"""Accounts: a partner or a therapist."""

import uuid
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, StrictBool, StringConstraints
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, created_at_field
from models.types import (
    DisplayName,
    EmailAddress,
    NoRepeats,
    RequestBody,
    TimeZoneName,
    not_null,
)
from models.vocabulary import (
    FORMER_PARTNER,
    AccountType,
    AttachmentStyle,
    LoveLanguage,
    in_list,
)

Password = Annotated[str, StringConstraints(min_length=10, max_length=1024)]


class LoveLanguages(RequestBody):
    give: list[LoveLanguage] = PydanticField(default_factory=list, max_length=5)
    receive: list[LoveLanguage] = PydanticField(default_factory=list, max_length=5)


Languages = Annotated[list[LoveLanguage], NoRepeats]


# The rule is on input only: a profile stored before it may repeat a language, and
# must still read (`LoveLanguages`, as served, takes it).
class LoveLanguagesChange(LoveLanguages):
    """Love languages as `PATCH /me` takes them: each at most once in a list."""

    give: Languages = PydanticField(
        default_factory=list, max_length=5, description="Each language at most once."
    )
    receive: Languages = PydanticField(
        default_factory=list, max_length=5, description="Each language at most once."
    )


class UserBase(SQLModel):
    display_name: str = Field(max_length=100)
    timezone: str = Field(default="UTC", max_length=64)


class User(UserBase, table=True):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            in_list("account_type", AccountType, FORMER_PARTNER), name="account_type"
        ),
        sa.CheckConstraint(
            "attachment_style IS NULL OR " + in_list("attachment_style", AttachmentStyle),
            name="attachment_style",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    password_hash: str = Field(max_length=255)
    account_type: str = Field(default=AccountType.partner, max_length=16)
    love_languages: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    attachment_style: str | None = Field(default=None, max_length=16)
    # Whether the partner sees love languages and attachment style in the couple.
    share_profile: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    # When the owner proved to read the address (a code mailed to it); null until then.
    email_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class UserCreate(RequestBody):
    email: EmailAddress
    password: Password
    display_name: DisplayName
    timezone: TimeZoneName = "UTC"
    account_type: AccountType = AccountType.partner


class UserUpdate(RequestBody):
    """What `PATCH /me` may change; email, password and role are not among them."""

    display_name: DisplayName | None = None
    timezone: TimeZoneName | None = None
    love_languages: LoveLanguagesChange | None = None
    attachment_style: AttachmentStyle | None = None
    share_profile: StrictBool | None = None

    _not_null = not_null("display_name", "timezone", "love_languages", "share_profile")


class PasswordConfirmation(RequestBody):
    """The account's password, asked again before a change that cannot be undone."""

    # Bounded as a login's is: a longer one can never match.
    password: str = PydanticField(max_length=1024, description="The account's password.")


class UserPublic(BaseModel):
    id: uuid.UUID
    email: str
    email_verified: bool = PydanticField(
        description="Whether the owner confirmed the address with the code mailed to it "
        "(`POST /auth/verify-email`). A partner account works fully either way; a "
        "therapist account can be granted only once verified, and a password reset is "
        "mailed only to a verified address."
    )
    display_name: str
    timezone: str
    account_type: AccountType
    love_languages: LoveLanguages
    attachment_style: AttachmentStyle | None
    share_profile: bool = PydanticField(
        description="Whether the partner sees `love_languages` and `attachment_style` in "
        "the couple; true unless turned off."
    )
