"""`/healthz` and `/readyz`, outside the versioned prefix."""

import sqlalchemy as sa
from fastapi import APIRouter, Request

from api.core.db import Database
from api.core.errors import Problem, problems

router = APIRouter(tags=["service"])


@router.get("/healthz", description="200 while the process runs; touches nothing else.")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=problems(503), description="200 when the database answers.")
async def readyz(request: Request) -> dict[str, str]:
    database: Database = request.app.state.database
    try:
        async with database.begin() as (conn, trans):
            await conn.execute(sa.text("SELECT 1"))
            await trans.rollback()
    except Exception as exc:
        raise Problem(503, "The database does not answer.", code="not-ready") from exc
    return {"status": "ok"}
