"""The ASGI app: `api.main:app`."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from api.activities.routes import router as activities_router
from api.auth.housekeeping import keep_house
from api.auth.passwords import Passwords
from api.auth.routes import router as auth_router
from api.bids.routes import router as bids_router
from api.changes.events import Notices, ended_on_stop_signal
from api.changes.routes import router as changes_router
from api.checkins.routes import router as checkins_router
from api.core.body_limit import BodyLimit
from api.core.conditional import ETAG_LIST_LENGTH
from api.core.db import Database
from api.core.deps import API_PREFIX
from api.core.errors import PROBLEM_JSON, install_problem_handlers
from api.core.heap import tuned_for_requests
from api.core.mail import Mailer
from api.core.notices import ChangeClock, LocalChanges
from api.core.representations import Representations
from api.core.settings import Settings, get_settings
from api.couples.routes import router as couples_router
from api.digest.routes import router as digest_router
from api.export.routes import router as export_router
from api.export.service import Running as RunningExports
from api.health import router as health_router
from api.therapists.consent_routes import router as consent_router
from api.therapists.invitation_routes import router as invitation_router
from api.therapists.ranking import CaseloadMemory
from api.therapists.routes import router as therapist_router
from api.trends.memory import TrendsCache
from api.trends.routes import router as trends_router
from api.trends.service import KnownStates
from api.users.routes import router as me_router

DESCRIPTION = """
Toward lets couples log *bids for connection*, record whether the partner turned
toward, away from or against each one, and see their emotional bank account.

Every error is `application/problem+json` (RFC 9457); validation errors list each
bad field in `errors` as `{field, message}` with a dotted path. A couple you are not
a partner of is a 404, exactly like one that does not exist.

A problem's `type` is `urn:toward:problem:<code>`, so a client can tell cases apart.
The codes: `validation`, `bad-request`, `unauthenticated`, `bad-credentials`,
`too-many-logins`, `too-many-registrations`, `bad-refresh-token`,
`refresh-token-reused`, `email-taken`, `email-verified`, `too-many-codes`,
`too-many-resets`, `not-found`, `method-not-allowed`,
`body-too-large`, `partners-only`, `therapists-only`, `already-partner`,
`couple-full`, `couple-incomplete`, `couple-dissolved`, `id-conflict`, `not-logger`,
`stale-version`, `cursor-expired`, `export-running`, `too-many-exports`,
`therapist-invitations-full`, `invitation-declined`, `email-unverified`,
`wrong-password`,
`busy`, `not-ready`, `database-unavailable`, `internal`; and `http-error` for any
other error of the HTTP layer.

Any request may get 503 `database-unavailable` (with `Retry-After`) while the database
is out of reach. A write may get 503 `busy` (with `Retry-After`) while the database is
too slow to take it; a bid create retried with the same `id` is then stored once.
A request body may be at most `MAX_BODY_BYTES` (64 KiB by default):
a larger one is a 413 `body-too-large`, refused before it is read.

Every 200 answer to a GET carries an `ETag` (a resource's version, or a tag of the
answer's content, which changes exactly when the content does); `If-None-Match` with
the tag you hold gives a 304 with no body. JSON and CSV answers of 1 KiB or more come
gzip-compressed to a client that sends `Accept-Encoding: gzip`; the `ETag` is the same
in either coding. Streams (`/events`, `/me/export`) are the exception: sent as they
are made, with no tag and no compression.
"""


def provide(app: FastAPI, settings: Settings) -> None:
    """What the app's requests use besides the database: per-process state."""
    app.state.settings = settings
    app.state.passwords = Passwords.of(settings)
    # Computed trends per process, each checked against the couple's version on every
    # read (read from the database, or known: see `known_states` in the lifespan).
    app.state.trends_cache = TrendsCache(settings.trends_cache_size)
    app.state.caseload_memory = CaseloadMemory(app.state.change_clock, settings.caseload_cache_size)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.given_settings or get_settings()
    app.state.change_clock = clock = ChangeClock()
    provide(app, settings)
    app.state.database = await Database.open(
        settings.database_url,
        settings.db_pool_size,
        write_queue_limit=settings.write_queue_limit,
        write_timeout=settings.write_timeout_seconds,
    )
    app.state.notices = notices = Notices(app.state.database, settings, clock)
    # Couples' versions trusted with no statement while no change of them is heard:
    # about 200 bytes each, many per remembered trends.
    app.state.known_states = KnownStates(clock, settings.trends_cache_size * 16)
    # Not in `provide`: the exports streaming outlive a change of settings.
    app.state.exports_running = RunningExports()
    await notices.start()
    app.state.mailer = mailer = Mailer.of(settings)
    mailer.start()
    housekeeping = asyncio.create_task(keep_house(app.state.database, settings))
    try:
        with tuned_for_requests(), ended_on_stop_signal(notices):
            yield
    finally:
        await notices.close()
        await mailer.close()
        housekeeping.cancel()
        with suppress(asyncio.CancelledError):
            await housekeeping
        await app.state.database.close()
        app.state.passwords.close()


# The order of the OpenAPI document's sections: the way a client developer meets them.
TAG_ORDER = (
    "service",
    "auth",
    "me",
    "couples",
    "bids",
    "check-ins",
    "activities",
    "trends",
    "digest",
    "sync",
    "therapists",
    "therapist",
)

PROBLEM_413 = {
    "description": HTTPStatus(413).phrase,
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
}


NOT_MODIFIED = {"description": "Not modified: `If-None-Match` names the current `ETag`"}
IF_NONE_MATCH = {
    "name": "if-none-match",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": ETAG_LIST_LENGTH},
    "description": "ETags the client holds; when one is current, the answer is a 304.",
}


def _finish_openapi(app: FastAPI) -> None:
    """The OpenAPI document says what the app does: every operation that reads a body
    may answer 413 (api/core/body_limit.py), every GET that answers 200 carries an ETag
    and may answer 304 (api/core/representations.py) unless it streams (an event
    stream, or an operation marked `x-streamed`), and problems come only as
    problem+json (a response `model` would also list `application/json`)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            for operations in build()["paths"].values():
                for method, operation in operations.items():
                    responses = operation["responses"]
                    if "requestBody" in operation:
                        responses.setdefault("413", PROBLEM_413)
                    streamed = operation.pop("x-streamed", False) or (
                        "text/event-stream" in responses.get("200", {}).get("content", {})
                    )
                    if method == "get" and "200" in responses and not streamed:
                        responses.setdefault("304", NOT_MODIFIED)
                        parameters = operation.setdefault("parameters", [])
                        if not any(p["name"].lower() == "if-none-match" for p in parameters):
                            parameters.append(IF_NONE_MATCH)
                    for status, response in responses.items():
                        if int(status) >= 400 and PROBLEM_JSON in response.get("content", {}):
                            response["content"].pop("application/json", None)
        return build()

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; `settings` default to the environment's, read when it starts."""
    app = FastAPI(
        title="Toward",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[{"name": name} for name in TAG_ORDER],
    )
    app.state.given_settings = settings
    install_problem_handlers(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(Representations)
    app.add_middleware(LocalChanges)
    app.include_router(health_router)
    # FastAPI tries each route in turn, and a match late in the list costs a 304 a
    # fifth of its time: the paths apps repeat most come first. No two routers' paths
    # overlap, so the order decides nothing else (`openapi_tags` keeps the document's).
    for router in (
        trends_router,
        changes_router,
        bids_router,
        checkins_router,
        activities_router,
        couples_router,
        me_router,
        export_router,
        digest_router,
        auth_router,
        consent_router,
        therapist_router,
        invitation_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    _finish_openapi(app)
    return app


app = create_app()
