"""What a therapist reads. Every couple a read shows is entered in that couple's access
log first: a read that could not be logged is not answered."""

import uuid
from datetime import date, datetime

from api.core.db import Database
from api.therapists import access_log, caseload
from api.trends import service as trends
from models.therapist import Caseload


async def caseload_page(
    database: Database,
    cache: caseload.CaseloadCache,
    therapist_id: uuid.UUID,
    endpoint: str,
    *,
    cursor: str | None,
    limit: int,
) -> Caseload:
    items, next_cursor = await caseload.caseload(
        database, cache, therapist_id, cursor=cursor, limit=limit
    )
    await access_log.record_listed(
        database, [item.couple_id for item in items], therapist_id, endpoint
    )
    return Caseload(items=items, next_cursor=next_cursor)


async def couple_trends(
    database: Database,
    cache: trends.TrendsCache,
    couple_id: uuid.UUID,
    therapist_id: uuid.UUID,
    endpoint: str,
    *,
    weeks: int,
    end: date | None,
) -> tuple[trends.Computed, datetime]:
    """One couple's trends; a couple without both partners' grants is a 404."""
    granted = await access_log.record_read(
        database, couple_id, therapist_id, endpoint, weeks=weeks, end=end
    )
    return await trends.weekly_trends(database, cache, couple_id, granted, weeks=weeks, end=end)
