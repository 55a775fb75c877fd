"""What a therapist reads, and what a couple's partners read of their therapists. Every
couple a therapist's read shows is entered in that couple's access log first: a read
that could not be logged is not answered."""

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from api.core.db import Database
from api.therapists import access_log, caseload, grants
from api.therapists.ranking import CaseloadMemory, Page
from api.trends import service as trends
from models.export import GrantReceived
from models.therapist import AccessLogPublic, GrantPublic


async def caseload_page(
    database: Database,
    memory: CaseloadMemory,
    therapist_id: uuid.UUID,
    endpoint: str,
    *,
    cursor: str | None,
    limit: int,
) -> Page:
    """A page of the caseload. Its couples are logged first, and only if every one's
    access still stands: one whose access ended since the ranking was read (or held)
    means a ranking read again, nothing logged; and one whose access ends while that
    runs is left out of the page (and of the log)."""
    after = caseload.position(cursor)
    ranking = await caseload.ranking(database, memory, therapist_id)
    page = ranking.page(after, limit)
    logged = await access_log.record_listed(
        database, page.couple_ids, therapist_id, endpoint, whole=True
    )
    if logged.issuperset(page.couple_ids):
        return page
    memory.forget(therapist_id)
    ranking = await caseload.ranking(database, memory, therapist_id, held=False)
    page = ranking.page(after, limit)
    logged = await access_log.record_listed(
        database, page.couple_ids, therapist_id, endpoint, whole=False
    )
    return page.without(set(page.couple_ids) - logged)


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
    """One couple's trends; a couple without both partners' grants, accepted by the
    therapist, is a 404."""
    granted = await access_log.record_read(
        database, couple_id, therapist_id, endpoint, weeks=weeks, end=end
    )
    return await trends.weekly_trends(database, cache, couple_id, granted, weeks=weeks, end=end)


async def couple_grants(conn: AsyncConnection, couple_id: uuid.UUID) -> list[GrantPublic]:
    """What the couple's partners see of their grants."""
    return await grants.grants(conn, couple_id)


async def access_log_page(
    conn: AsyncConnection, couple_id: uuid.UUID, *, cursor: str | None, limit: int
) -> tuple[list[AccessLogPublic], str | None]:
    """A page of the couple's access log, newest first, as its partners read it."""
    return await access_log.entries(conn, couple_id, cursor=cursor, limit=limit)


async def grants_received(conn: AsyncConnection, therapist_id: uuid.UUID) -> list[GrantReceived]:
    return await grants.received(conn, therapist_id)
