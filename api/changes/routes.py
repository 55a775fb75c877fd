"""`/couples/{couple_id}/changes` and `/events`: offline sync and live updates."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from api.changes import service
from api.changes.events import Notices, events
from api.changes.position import read
from api.core.db import DatabaseDep
from api.core.deps import CallerDep, LoginDep
from api.core.errors import problems
from api.core.responses import private_json
from models.change import ChangesPage

router = APIRouter(prefix="/couples/{couple_id}", tags=["sync"], responses=problems(503))

FeedCursor = Annotated[
    str | None,
    Query(
        max_length=200,
        description="The `next_cursor` of the page before, or of the last sync; none to "
        "sync from nothing.",
    ),
]
FeedLimit = Annotated[int, Query(ge=1, le=500, description="Items per page, 1 to 500.")]


@router.get(
    "/changes",
    response_model=ChangesPage,
    responses=problems(401, 404, 410, 422),
    description="What changed in the couple after `cursor`, as the caller may see it: "
    "bids, check-ins and activities created or changed, each in its current state; "
    "`deleted` for each one the caller must drop; and `couple` when the couple (its "
    "settings or its partners' profiles) changed, else null. Without a cursor (or with an "
    "empty one): everything there is, and no tombstones. Changes are ordered by a "
    "sequence the server assigns in commit order, never by clocks: following "
    "`next_cursor` until `has_more` is false gives every change exactly once, even while "
    "the partner writes; one thing changed twice comes once, as it is now. Keep the last "
    "`next_cursor` for the next sync. `limit` counts every item, `couple` and `deleted` "
    "included, but for one rule. The reveal rule: the partner's check-in for a date "
    "comes once the caller has a check-in of their own for that date (it comes with the "
    "caller's, beyond `limit`, when nothing else brings it), and nothing of it comes "
    "while the caller has none; when the caller's own check-in for a date comes in "
    "`deleted`, drop the partner's check-in of that date too. A cursor older than the "
    "tombstones kept (`CHANGES_TOMBSTONE_DAYS`), or ahead of what the server holds (a "
    "database restored from a backup), is a 410 `cursor-expired`: sync again from no "
    "cursor. A cursor of another couple's feed is a 422.",
)
async def read_changes(
    couple_id: uuid.UUID,
    caller: CallerDep,
    database: DatabaseDep,
    cursor: FeedCursor = None,
    limit: FeedLimit = 200,
) -> Response:
    page = await service.read_changes(database, couple_id, caller.id, cursor, limit)
    return private_json(page.model_dump_json())


EVENT_STREAM = "text/event-stream"


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "A stream of server-sent events",
            "content": {EVENT_STREAM: {"schema": {"type": "string"}}},
        },
        **problems(401, 404, 422),
    },
    description="Server-sent events telling an open app that the couple changed. Each "
    '`changed` event\'s `data` is `{"cursor": …}`, a cursor of `GET …/changes` to pull '
    "from (past what this stream told before; the app's own last `next_cursor` serves as "
    "well), and its `id` is the position through this change. Several changes close "
    "together may come as one event. A comment line comes every "
    "`EVENT_HEARTBEAT_SECONDS` (15 by default) while nothing changes. Send the last "
    "event's id back as `Last-Event-ID` (browsers do) and a change made meanwhile is told "
    "at once (one that is not an id of this couple's stream is left aside). The stream "
    "ends with an `end` event whose `data` gives the `reason`: "
    "`expired` (the access token did; connect again with a fresh one), `shutdown` (the "
    "server is stopping; connect again) or `replaced` (the user opened more than "
    "`EVENT_STREAMS_PER_USER` streams, 4 by default, on one server process: the oldest "
    "ends). A server process that has `EVENT_STREAMS_PER_WORKER` streams open answers "
    "503 `busy`. A write through any server process of the deployment is told.",
)
async def couple_events(
    couple_id: uuid.UUID,
    request: Request,
    login: LoginDep,
    database: DatabaseDep,
    last_event_id: Annotated[str | None, Header(max_length=200)] = None,
) -> StreamingResponse:
    caller, expires_at = login
    # One that is not an id of this couple's stream is left aside: a browser would not
    # connect again after a 422.
    resumed = None if last_event_id is None else read(last_event_id, couple_id)
    notices: Notices = request.app.state.notices
    stream, told = await notices.stream(database, couple_id, caller.id, resumed)
    settings = request.app.state.settings
    body = events(notices, stream, told, expires_at, settings.event_heartbeat_seconds)
    return StreamingResponse(
        body,
        media_type=EVENT_STREAM,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
