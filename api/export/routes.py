"""`/me/export`: everything the caller may see of their own data, in one JSON document."""

from functools import partial

from fastapi import APIRouter, Request

from api.core.db import DatabaseDep
from api.core.deps import CallerDep, SettingsDep
from api.core.errors import problems
from api.core.responses import BoundedStream
from api.export import service
from api.export.document import document
from models.base import utcnow
from models.export import ExportDocument

router = APIRouter(prefix="/me", tags=["me"], responses=problems(503))


@router.get(
    "/export",
    response_model=ExportDocument,
    responses={
        200: {
            "description": "The document, streamed as it is read",
            "headers": {
                "Content-Disposition": {
                    "description": 'attachment; filename="toward-export-<UTC date>.json"',
                    "schema": {"type": "string"},
                }
            },
        },
        **problems(401, 429),
    },
    # Streamed: no ETag, no 304 (api/main.py).
    openapi_extra={"x-streamed": True},
    description="Everything the caller may see of their own data, as one JSON document "
    "to keep (`Content-Disposition: attachment`, `toward-export-<UTC date>.json`), "
    "streamed as it is read, all of it as of one moment. Its shape is stable within "
    "its `schema_version` (1): new fields may come, none goes or changes meaning "
    "without a new version.\n\n"
    "- `schema_version`, `exported_at`;\n"
    "- `account`: as `GET /me`, with `created_at`;\n"
    "- `couples`: each couple the caller is a partner of (none for a therapist), as "
    "`{couple, bids, checkins, activities, grants, access_log}`, each as the caller "
    "gets it from `GET /couples/{couple_id}` and from every page of `…/bids`, "
    "`…/checkins`, `…/activities`, `…/therapists` (its `items`) and `…/access-log`, in "
    "the same order: the partner's private notes are null, and the partner's check-in "
    "for a date is there only when the caller checked in for that date too;\n"
    "- `grants_received`: for a therapist, each couple whose two partners granted them "
    "access, `{couple_id, status, granted_at, answered_at}` (`status` as the grants' "
    "own: `awaiting_therapist`, `active` or `declined`; `granted_at` when both had "
    "granted, oldest first; `answered_at` when the therapist answered); none for a "
    "partner.\n\n"
    "One export at a time per user (a second while one streams: 429 `export-running`), "
    "at most `EXPORTS_PER_USER` (4 by default) started per `EXPORT_WINDOW_SECONDS` "
    "(an hour): 429 `too-many-exports`; either with `Retry-After`. A server process "
    "streams at most `EXPORTS_PER_WORKER` exports at once: 503 `busy`. An export still "
    "streaming after `EXPORT_SECONDS` (10 minutes) is cut off, its connection dropped "
    "before the document ends: read it at once. The answer is never cached "
    "(`Cache-Control: no-store`).",
)
async def export_me(
    request: Request, caller: CallerDep, database: DatabaseDep, settings: SettingsDep
) -> BoundedStream:
    running: service.Running = request.app.state.exports_running
    export_id = await service.begin(database, running, caller.id, settings)
    now = utcnow()
    return BoundedStream(
        document(database, caller.id, now),
        seconds=settings.export_seconds,
        finish=partial(service.end, database, running, export_id),
        media_type="application/json",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="toward-export-{now.date()}.json"',
        },
    )
