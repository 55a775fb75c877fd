"""Weekly rollups of a couple's bids, and the trend and bank-account figures built on them."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlmodel import Field, SQLModel
from typing_extensions import TypedDict

from models.couple import Weights
from models.vocabulary import WeekStart


class BidWeek(SQLModel, table=True):
    """How many of a couple's live bids fell in one local week with one responder, by
    effective response. Kept by triggers in the transaction of each write
    (alembic/versions/0006): counts, never weighted amounts, so a change of weights
    costs nothing, and a change of time zone or week start counts the couple's rows again.
    No check constraint on the counts: PostgreSQL checks the row an upsert proposes,
    and the triggers propose signed changes."""

    __tablename__ = "bid_weeks"
    couple_id: uuid.UUID = Field(foreign_key="couples.id", ondelete="CASCADE", primary_key=True)
    week_start: date = Field(primary_key=True)
    # The bidder is the other partner: a couple has exactly two.
    responder_id: uuid.UUID = Field(primary_key=True)
    bids: int = Field(default=0)
    toward: int = Field(default=0)
    away: int = Field(default=0)
    against: int = Field(default=0)
    # Bids on which both partners recorded a view, and those on which the views agree.
    both_views: int = Field(default=0)
    agreements: int = Field(default=0)
    repairs: int = Field(default=0)


class BidVersion(SQLModel, table=True):
    """How many bid writes a couple has seen, kept by the same triggers: it only grows,
    so it tells a read whether the couple's figures changed since it last looked."""

    __tablename__ = "bid_versions"

    couple_id: uuid.UUID = Field(foreign_key="couples.id", ondelete="CASCADE", primary_key=True)
    version: int = Field(default=0, sa_type=sa.BigInteger)


class RollupWeek(SQLModel, table=True):
    """Which transaction last wrote a couple's rollup rows of a week (alembic/versions/
    0015, PostgreSQL only): a trends read after a write reads only the weeks written
    since the snapshot of its window's last read."""

    __tablename__ = "rollup_weeks"

    couple_id: uuid.UUID = Field(foreign_key="couples.id", ondelete="CASCADE", primary_key=True)
    week_start: date = Field(primary_key=True)
    written: int = Field(sa_type=sa.BigInteger)


class Benchmarks(BaseModel):
    masters_turn_toward: float
    disasters_turn_toward: float
    conflict_ratio: int
    everyday_ratio: int


# The weekly figures are typed dicts: a year of weeks is built on every trends read,
# and plain dicts cost a fraction of model instances. They are not validated on the
# way out (api/trends/service.py builds the response with `model_construct`): the
# property tests hold them to the schema and to a recount of the bids.
class PartnerWeek(TypedDict):
    bids_made: int
    bids_received: int
    turn_toward_rate: float | None
    toward: int
    away: int
    against: int


class Figures(TypedDict):
    """The counts and amounts of any run of whole weeks."""

    bids: int
    toward: int
    away: int
    against: int
    pending: int
    turn_toward_rate: float | None
    deposits: int
    withdrawals: int
    net: int
    perception_agreement: float | None
    repairs: int


class CheckinFigures(TypedDict):
    """Both partners' check-ins for the dates of one week."""

    count: int
    connection_avg: float | None
    stress_avg: float | None
    # Check-ins that noticed each sign, for the signs noticed at least once: a code left
    # out was noticed in none.
    signs: dict[str, int]


class ActivityFigures(TypedDict):
    """The shared activities that occurred in one week."""

    count: int
    # Minutes of the activities that gave a duration.
    minutes: int
    # Activities of each kind, every kind present.
    kinds: dict[str, int]


class WeekFigures(Figures):
    week_start: date
    # The running net of every week up to this one's end.
    balance: int
    by_partner: dict[uuid.UUID, PartnerWeek]
    checkins: CheckinFigures
    activities: ActivityFigures


class PursuerDistancer(BaseModel):
    pursuer_id: uuid.UUID
    distancer_id: uuid.UUID
    bid_share: float
    distancer_turn_toward_rate: float
    bids: int


class FlagCode(StrEnum):
    """What a summary flag points at; the rules are in docs/metrics.md."""

    turn_toward_low = "turn-toward-low"
    against_rising = "against-rising"
    not_logging = "not-logging"
    pursuer_distancer = "pursuer-distancer"
    distancing_rising = "distancing-rising"
    connection_falling = "connection-falling"
    stress_and_turning_away = "stress-and-turning-away"
    no_shared_time = "no-shared-time"


class Flag(BaseModel):
    # Frozen: one flag may sit in many answers (models/figures.py keeps some).
    model_config = ConfigDict(frozen=True)

    code: FlagCode
    detail: str


Direction = Literal["improving", "steady", "declining"]


class Summary(BaseModel):
    turn_toward_rate_4w: float | None
    direction: Direction
    turn_toward_change: float | None
    pursuer_distancer: PursuerDistancer | None
    flags: list[Flag]


class WeeklyTrends(BaseModel):
    couple_id: uuid.UUID
    timezone: str
    week_starts: WeekStart
    weights: Weights
    benchmarks: Benchmarks = Field(
        description="Research reference points, not a verdict on any couple."
    )
    weeks: list[WeekFigures] = Field(
        description="Every week of the window, an empty one with zeros and null rates. "
        "Pending bids count in `bids` and `pending` only. `checkins` are both partners' "
        "check-ins for the week's dates, `activities` the shared activities that occurred "
        "in it. `balance` runs over every week "
        "since the couple began, up to the end of that week, at the couple's current "
        "`weights`. Rates are unrounded fractions."
    )
    summary: Summary = Field(
        description="The last 4 weeks up to `end` (8 for `against-rising`), whatever "
        "`weeks` is, except `direction` and `turn_toward_change`, which fit a line through "
        "the weeks asked for. Flag codes: `turn-toward-low`, `against-rising`, "
        "`pursuer-distancer`, `distancing-rising`, `connection-falling`, "
        "`stress-and-turning-away`, `no-shared-time`, `not-logging`; their rules and "
        "thresholds are in docs/metrics.md."
    )


class Last7Days(BaseModel):
    deposits: int
    withdrawals: int
    net: int


class BankAccount(BaseModel):
    couple_id: uuid.UUID
    balance: int
    deposits: int
    withdrawals: int
    weights: Weights
    benchmarks: Benchmarks
    last_7_days: Last7Days
    as_of: datetime
