"""Who is calling: the access token's claims and the client's address; and the app's
settings."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from starlette.requests import HTTPConnection

from api.core import client_address as addresses
from api.core.errors import Problem
from api.core.security import Caller, read_access_token
from api.core.settings import Settings

# Every route but the service checks is under it.
API_PREFIX = "/api/v1"


async def settings(request: Request) -> Settings:
    # async: a plain `def` dependency would cost a thread hop on every request.
    return request.app.state.settings  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(settings)]


def unauthenticated(detail: str = "A valid bearer access token is required.") -> Problem:
    return Problem(401, detail, code="unauthenticated", headers={"WWW-Authenticate": "Bearer"})


def account_gone() -> Problem:
    """The 401 of a token whose account was erased: it outlives the account by up to
    its lifetime, being stateless."""
    return unauthenticated("The account of this token no longer exists.")


class _Login(HTTPBearer):
    """The caller as the access token states it, and when the token expires (a Unix
    time), without a database round trip: the hot paths check couple membership in
    the query that needs it anyway. The bearer scheme itself, not a dependency on it:
    FastAPI's cost is per dependency, and every authenticated request pays it."""

    async def __call__(self, request: HTTPConnection) -> tuple[Caller, float]:  # type: ignore[override]
        credentials = await super().__call__(request)
        if credentials is None:
            raise unauthenticated()
        # (Settings are read from the app directly: one dependency less.)
        found = read_access_token(credentials.credentials, request.app.state.settings)
        if found is None:
            raise unauthenticated("The access token is invalid or has expired.")
        return found


class _Caller(_Login):
    async def __call__(self, request: HTTPConnection) -> Caller:  # type: ignore[override]
        return (await super().__call__(request))[0]


# Both are the OpenAPI document's one scheme, `HTTPBearer`, and answer 401 themselves.
_SCHEME = "HTTPBearer"
_DESCRIPTION = "An access token from `POST /api/v1/auth/login`."

CallerDep = Annotated[
    Caller, Depends(_Caller(scheme_name=_SCHEME, auto_error=False, description=_DESCRIPTION))
]

# For an answer that lasts, such as an event stream, which must end when the token does.
LoginDep = Annotated[
    tuple[Caller, float],
    Depends(_Login(scheme_name=_SCHEME, auto_error=False, description=_DESCRIPTION)),
]


async def client_address(request: Request, settings: SettingsDep) -> str:
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.getlist("x-forwarded-for")
    return addresses.client_address(peer, forwarded, settings.trusted_proxies)


ClientAddress = Annotated[str, Depends(client_address)]
