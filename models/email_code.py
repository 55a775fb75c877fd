"""Codes sent by email: one proves that an account's owner reads its address, one lets
them set a new password. Stored hashed, used once, short-lived."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import BaseModel, StringConstraints
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, created_at_field
from models.types import LoginEmail, RequestBody
from models.user import Password
from models.vocabulary import in_list


class CodePurpose(StrEnum):
    verify = "verify"
    reset = "reset"


class EmailCode(SQLModel, table=True):
    __tablename__ = "email_codes"
    __table_args__ = (
        sa.CheckConstraint(in_list("purpose", CodePurpose), name="purpose"),
        sa.Index(None, "user_id", "purpose", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    purpose: str = Field(max_length=16)
    code_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = created_at_field()


# A code as mailed is 20 letters and digits in groups of five ("ABCDE-FGHJK-..."); a
# client may send it in any case, with or without the dashes and spaces.
Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class CodeBody(RequestBody):
    code: Code


class PasswordResetRequest(RequestBody):
    email: LoginEmail


class PasswordResetConfirm(RequestBody):
    code: Code
    password: Password


class EmailVerified(BaseModel):
    email: str
    email_verified: bool = PydanticField(description="Always true: the address is confirmed.")
