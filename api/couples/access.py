"""The guard of every couple path: only the couple's own partners get past it."""

import uuid
from typing import Annotated

from fastapi import Depends

from api.core.db import Transaction
from api.core.deps import CallerDep
from api.core.errors import not_found
from api.couples.service import partner_ids


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
