"""Who is calling: the access token's claims and the client's address."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import Problem
from api.security import Caller, read_access_token
from api.settings import Settings, get_settings

# Every route but the service checks is under it.
API_PREFIX = "/api/v1"

_bearer = HTTPBearer(
    auto_error=False, description="An access token from `POST /api/v1/auth/login`."
)


async def settings() -> Settings:
    # async: a plain `def` dependency would cost a thread hop on every request.
    return get_settings()


SettingsDep = Annotated[Settings, Depends(settings)]


def unauthenticated(detail: str = "A valid bearer access token is required.") -> Problem:
    return Problem(401, detail, code="unauthenticated", headers={"WWW-Authenticate": "Bearer"})


async def current_caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller as the token states it, without a database round trip: the hot
    paths check couple membership in the query that needs it anyway. (Settings are
    read directly: one dependency less on every authenticated request.)"""
    if credentials is None:
        raise unauthenticated()
    caller = read_access_token(credentials.credentials, get_settings())
    if caller is None:
        raise unauthenticated("The access token is invalid or has expired.")
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


async def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]
