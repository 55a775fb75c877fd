"""`/couples/{couple_id}/trends/weekly` and `/couples/{couple_id}/bank-account`."""

import uuid

from fastapi import APIRouter, Response

from api.core.conditional import content_tag
from api.core.db import DatabaseDep
from api.core.deps import CallerDep
from api.core.errors import problems
from api.core.responses import private_json
from api.trends import service
from api.trends.params import (
    TRENDS_DESCRIPTION,
    EndQuery,
    TrendsReadingDep,
    WeeksQuery,
)
from models import figures
from models.trend import BankAccount, WeeklyTrends

router = APIRouter(prefix="/couples/{couple_id}", tags=["trends"], responses=problems(503))


@router.get(
    "/trends/weekly",
    response_model=WeeklyTrends,
    responses=problems(401, 404, 422),
    description=TRENDS_DESCRIPTION,
)
async def weekly_trends(
    couple_id: uuid.UUID,
    caller: CallerDep,
    reading: TrendsReadingDep,
    weeks: WeeksQuery = figures.DEFAULT_WEEKS,
    end: EndQuery = None,
) -> Response:
    computed, now = await service.weekly_trends(
        reading.database,
        reading.cache,
        couple_id,
        caller.id,
        weeks=weeks,
        end=end,
        known=reading.known,
    )
    return private_json(*computed.representation(now))


@router.get(
    "/bank-account",
    response_model=BankAccount,
    responses=problems(401, 404, 422),
    description="The emotional bank account over all time, at the couple's current "
    "`weights`, as of `as_of`: `deposits` are the bids turned toward times the toward "
    "weight, `withdrawals` the bids turned away or against times the size of their "
    "weights, and `balance` is deposits minus withdrawals. `last_7_days` covers bids "
    "that occurred in the 168 hours before `as_of` (and the few minutes ahead a bid may "
    "be logged for). Its `ETag` is weak and leaves `as_of` out: `If-None-Match` with it "
    "gives a 304 while the figures are the same.",
)
async def bank_account(couple_id: uuid.UUID, caller: CallerDep, database: DatabaseDep) -> Response:
    account = await service.bank_account(database, couple_id, caller.id)
    # Weak, and of the figures without `as_of`: a 304 says the figures held are current.
    figures_only = account.model_dump_json(exclude={"as_of"}).encode()
    return private_json(account.model_dump_json(), etag=f"W/{content_tag(figures_only)}")
