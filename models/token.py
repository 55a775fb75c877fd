"""Refresh tokens (stored hashed), and the failed logins, registrations and other
unauthenticated attempts that rate limiting counts."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, created_at_field
from models.types import LoginEmail, RequestBody

# A refresh token is 43 characters (`secrets.token_urlsafe(32)`); the bound leaves room
# for an access token sent by mistake, which gets its 401.
REFRESH_TOKEN_LENGTH = 512


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    # One family per login: rotation keeps it, reuse of a spent token revokes it whole.
    family_id: uuid.UUID = Field(index=True)
    token_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # The end of the login: rotation carries it, and no token of the family outlives it.
    login_expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class LoginFailure(SQLModel, table=True):
    __tablename__ = "login_failures"
    __table_args__ = (
        sa.Index("ix_login_failures_email_at", "email", "at"),
        sa.Index("ix_login_failures_client_at", "client", "at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=320)
    client: str = Field(max_length=64)
    # The device that failed, when it showed a device token of the account: its
    # failures are counted apart from those of clients the account has never used.
    device: uuid.UUID | None = Field(default=None)
    at: datetime = created_at_field()


class RegistrationAttempt(SQLModel, table=True):
    __tablename__ = "registration_attempts"
    __table_args__ = (sa.Index("ix_registration_attempts_client_at", "client", "at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client: str = Field(max_length=64)
    at: datetime = created_at_field()


class ClientAttempt(SQLModel, table=True):
    """An unauthenticated request that is limited per client address: a password reset
    asked for (`reset`), or a code that was not right (`code`)."""

    __tablename__ = "client_attempts"
    __table_args__ = (sa.Index("ix_client_attempts_kind_client_at", "kind", "client", "at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=16)
    client: str = Field(max_length=64)
    at: datetime = created_at_field()


class LoginRequest(RequestBody):
    # Bounded like the stored values: a longer one can never match, and the email
    # must fit the failure log's column.
    email: LoginEmail
    password: str = PydanticField(max_length=1024)
    device_token: str | None = PydanticField(
        default=None,
        max_length=2048,
        description="The `device_token` this client got from its last login to the "
        "account, if any: its failed logins then count apart from strangers'.",
    )


class RefreshRequest(RequestBody):
    refresh_token: str = PydanticField(max_length=REFRESH_TOKEN_LENGTH)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class LoginTokens(TokenPair):
    device_token: str = PydanticField(
        description="Keep it and send it with this account's next logins, so that "
        "strangers' failed guesses never lock this client out (for a year)."
    )
