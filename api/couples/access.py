"""The guard of every couple path: only the couple's own partners get past it."""

import uuid
from typing import Annotated

from fastapi import Depends

from api.core.db import Transaction
from api.core.deps import CallerDep
from api.core.errors import not_found
from api.couples.service import partner_ids, refuse_dissolved


async def couple_partners(
    couple_id: uuid.UUID, caller: CallerDep, conn: Transaction
) -> list[uuid.UUID]:
    """The couple's partners in join order. Anyone else, a therapist included, gets
    the same 404 as for a couple that does not exist."""
    partners = await partner_ids(conn, couple_id)
    if caller.id not in partners:
        raise not_found("couple")
    return partners


CouplePartners = Annotated[list[uuid.UUID], Depends(couple_partners)]


async def open_couple_partners(
    couple_id: uuid.UUID, partners: CouplePartners, conn: Transaction
) -> list[uuid.UUID]:
    """The couple's partners, for a path that adds to the couple: a dissolved couple
    (a partner erased their account) is a 409 `couple-dissolved` past the guard above."""
    await refuse_dissolved(conn, couple_id)
    return partners


# What the description of a path guarded by `OpenCouplePartners` says of it.
REFUSED_WHEN_DISSOLVED = (
    " A dissolved couple (a partner erased their account) is a 409 `couple-dissolved`."
)

# A couple that takes new rows: a bid's perception, a check-in, an activity. (A bid, an
# invite and a therapist grant are refused by their services: api/bids/service.py,
# `new_invite` in api/couples/service.py, api/therapists/grants.py.)
OpenCouplePartners = Annotated[list[uuid.UUID], Depends(open_couple_partners)]
