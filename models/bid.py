"""Bids for connection and the two partners' perceptions of how each was answered."""

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel
from typing_extensions import TypedDict

from models.base import TOMBSTONES, UTCDateTime, created_at_field
from models.types import RequestBody, not_null
from models.vocabulary import STYLES_BY_RESPONSE, BidKind, Channel, Response, Style, in_list

Note = Annotated[str, StringConstraints(max_length=1000)]


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("must fall between the years 1 and 9999 in UTC") from None


# An aware time, as UTC: an offset that pushes it out of datetime's range is a 422,
# not a failure on the way to the database.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _rfc3339_text(value: Any) -> Any:
    # pydantic would also take Unix timestamps; the contract says RFC 3339.
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError(
            "must be an RFC 3339 time with an offset, such as 2026-05-01T18:30:00+02:00"
        )
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text), AfterValidator(_in_utc)]


class Bid(SQLModel, table=True):
    """A bid. Each couple has exactly two partners, the bidder and the responder,
    so each partner's perception is a pair of columns rather than a child table."""

    __tablename__ = "bids"
    __table_args__ = (
        sa.Index("ix_bids_couple_id_change_seq_id", "couple_id", "change_seq", "id"),
        sa.Index("ix_bids_deleted_at", "deleted_at", **TOMBSTONES),
        sa.Index("ix_bids_couple_id_occurred_at_id", "couple_id", "occurred_at", "id"),
        sa.CheckConstraint(in_list("kind", BidKind), name="kind"),
        sa.CheckConstraint("channel IS NULL OR " + in_list("channel", Channel), name="channel"),
        sa.CheckConstraint(
            "bidder_response IS NULL OR " + in_list("bidder_response", Response),
            name="bidder_response",
        ),
        sa.CheckConstraint(
            "responder_response IS NULL OR " + in_list("responder_response", Response),
            name="responder_response",
        ),
        sa.CheckConstraint("bidder_id <> responder_id", name="two_partners"),
    )

    id: uuid.UUID = Field(primary_key=True)
    couple_id: uuid.UUID = Field(foreign_key="couples.id", ondelete="CASCADE")
    # The couple's partners, taken from `couple_members` by the insert itself, which
    # refuses anyone else: no foreign keys to `users` (alembic/versions/0014).
    bidder_id: uuid.UUID
    responder_id: uuid.UUID
    logged_by: uuid.UUID
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    kind: str = Field(max_length=32)
    channel: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, sa_type=sa.Text)
    private: bool = Field(default=False)
    repair: bool = Field(default=False)
    bidder_response: str | None = Field(default=None, max_length=8)
    bidder_style: str | None = Field(default=None, max_length=16)
    responder_response: str | None = Field(default=None, max_length=8)
    responder_style: str | None = Field(default=None, max_length=16)
    # Bumped by every change; the ETag is built from it.
    version: int = Field(default=1)
    # Digest of the create request as parsed, so a replay can be told from a clash.
    request_digest: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # A deleted bid stays as a tombstone for offline clients' sync.
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The couple's change sequence at this row's last write (alembic/versions/0008).
    # Set by the database: an insert names it only with a value its own transaction
    # took (a batch's statement, alembic/versions/0016).
    change_seq: int | None = Field(
        default=None,
        nullable=False,
        sa_type=sa.BigInteger,
        sa_column_kwargs={"server_default": "0"},
    )


def _check_style(style: Style | None, info: ValidationInfo) -> Style | None:
    if style is None or "response" not in info.data:
        return style  # an invalid response is reported on its own
    response = info.data["response"]
    if response is None:
        raise ValueError("a style needs a response")
    if style not in STYLES_BY_RESPONSE[response]:
        allowed = ", ".join(sorted(STYLES_BY_RESPONSE[response]))
        raise ValueError(f"'{style}' is not a style of '{response}' (one of: {allowed})")
    return style


def style_of_response() -> Any:
    """A validator for bodies with `response` then `style`: the style must be one of
    that response's styles."""
    return field_validator("style")(_check_style)


class Perception(RequestBody):
    """One partner's view of how a bid was answered."""

    response: Response | None
    style: Style | None = None

    _style_belongs = style_of_response()


class BidCreate(RequestBody):
    id: uuid.UUID | None = None
    bidder_id: uuid.UUID | None = None
    occurred_at: Instant | None = None
    kind: BidKind
    channel: Channel | None = None
    note: Note | None = None
    private: StrictBool = False
    repair: StrictBool = False
    response: Response | None = None
    style: Style | None = None

    _style_belongs = style_of_response()


MAX_BATCH = 500


class BidBatch(RequestBody):
    items: list[BidCreate] = PydanticField(
        min_length=1,
        max_length=MAX_BATCH,
        description="Up to 500 creates, each as `POST /couples/{couple_id}/bids` takes it.",
    )


class BidUpdate(RequestBody):
    kind: BidKind | None = None
    channel: Channel | None = None
    note: Note | None = None
    occurred_at: Instant | None = None
    private: StrictBool | None = None
    repair: StrictBool | None = None

    _not_null = not_null("kind", "occurred_at", "private", "repair")


class PerceptionPublic(BaseModel):
    partner_id: uuid.UUID
    response: Response
    style: Style | None


class BidPublic(BaseModel):
    id: uuid.UUID
    couple_id: uuid.UUID
    bidder_id: uuid.UUID
    responder_id: uuid.UUID
    logged_by: uuid.UUID
    occurred_at: datetime
    kind: BidKind
    channel: Channel | None
    note: str | None
    private: bool
    repair: bool
    perceptions: list[PerceptionPublic]
    response: Response | None
    agreement: bool | None
    created_at: datetime
    updated_at: datetime


class BidPage(BaseModel):
    items: list[BidPublic]
    next_cursor: str | None


class BidBatchItem(BaseModel):
    index: int = PydanticField(description="The item's position in the request's `items`.")
    created: bool = PydanticField(
        description="False for a replay of an earlier create: the stored bid, nothing written."
    )
    bid: BidPublic


class BidBatchResult(BaseModel):
    items: list[BidBatchItem]


# The answers above as plain values, enums as their strings: a batch's rows are the
# database's, valid already, and serialised through these they give the models' JSON
# byte for byte (tests/bids/test_batch_answer.py) without the cost of validating them
# first. Their members are the models' fields, in the models' order.


class PerceptionFields(TypedDict):
    partner_id: uuid.UUID
    response: str
    style: str | None


class BidFields(TypedDict):
    id: uuid.UUID
    couple_id: uuid.UUID
    bidder_id: uuid.UUID
    responder_id: uuid.UUID
    logged_by: uuid.UUID
    occurred_at: datetime
    kind: str
    channel: str | None
    note: str | None
    private: bool
    repair: bool
    perceptions: list[PerceptionFields]
    response: str | None
    agreement: bool | None
    created_at: datetime
    updated_at: datetime


class BidBatchItemFields(TypedDict):
    index: int
    created: bool
    bid: BidFields


class BidBatchResultFields(TypedDict):
    items: list[BidBatchItemFields]
