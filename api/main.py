"""The ASGI app: `api.main:app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.auth.routes import router as auth_router
from api.bids.routes import router as bids_router
from api.couples.routes import router as couples_router
from api.db import Database
from api.deps import API_PREFIX
from api.errors import install_problem_handlers
from api.health import router as health_router
from api.settings import get_settings
from api.therapists.consent_routes import router as consent_router
from api.therapists.routes import router as therapist_router
from api.trends.cache import LRUCache
from api.trends.routes import router as trends_router
from api.users.routes import router as me_router

DESCRIPTION = """
Toward lets couples log *bids for connection*, record whether the partner turned
toward, away from or against each one, and see their emotional bank account.

Every error is `application/problem+json` (RFC 9457); validation errors list each
bad field in `errors` as `{field, message}` with a dotted path. A couple you are not
a partner of is a 404, exactly like one that does not exist.

A problem's `type` is `about:blank` for plain HTTP errors, or
`urn:toward:problem:<code>` where a client may want to tell cases apart. The codes:
`validation`, `unauthenticated`, `bad-credentials`, `too-many-logins`,
`bad-refresh-token`, `refresh-token-reused`, `email-taken`, `not-found`,
`partners-only`, `therapists-only`, `already-partner`, `couple-full`,
`couple-incomplete`, `id-conflict`, `not-logger`, `stale-version`, `not-ready`,
`database-unavailable`.
Any request may get 503 `database-unavailable` (with `Retry-After`) while the database
is out of reach.
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    app.state.database = await Database.open(settings.database_url, settings.db_pool_size)
    # Computed trends per process, each checked against the database on every read.
    app.state.trends_cache = LRUCache(settings.trends_cache_size)
    app.state.caseload_cache = LRUCache(settings.caseload_cache_size)
    try:
        yield
    finally:
        await app.state.database.close()


def create_app() -> FastAPI:
    app = FastAPI(title="Toward", version="1.0.0", description=DESCRIPTION, lifespan=lifespan)
    install_problem_handlers(app)
    app.include_router(health_router)
    for router in (
        auth_router,
        me_router,
        couples_router,
        bids_router,
        trends_router,
        consent_router,
        therapist_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    return app


app = create_app()
