"""The guard of a path that asks for the account's password again (`DELETE /me`)."""

from typing import Annotated

from fastapi import Depends

from api.auth import service
from api.auth.passwords import PasswordsDep
from api.core.db import DatabaseDep
from api.core.deps import CallerDep, ClientAddress, SettingsDep
from api.core.security import Caller
from models.user import PasswordConfirmation


async def password_confirmed(
    body: PasswordConfirmation,
    caller: CallerDep,
    database: DatabaseDep,
    passwords: PasswordsDep,
    client: ClientAddress,
    settings: SettingsDep,
) -> Caller:
    """The caller, once the body's `password` proved to be theirs: checked outside any
    transaction and limited as logins are (api/auth/service.py, `confirm_password`)."""
    await service.confirm_password(database, passwords, caller.id, body.password, client, settings)
    return caller


PasswordConfirmed = Annotated[Caller, Depends(password_confirmed)]

# What the description of a path behind this guard says of it.
PASSWORD_AGAIN = (
    ' The body is `{"password": …}`, the account\'s password: a wrong one is a 403 '
    "`wrong-password` naming `password`, and counts as a failed login of the account: "
    "past `LOGIN_FAILURES_PER_EMAIL` (from a client the account does not know) or "
    "`LOGIN_FAILURES_PER_CLIENT` in `LOGIN_WINDOW_SECONDS`, a 429 `too-many-logins` with "
    "`Retry-After`, as for `POST /auth/login`. A worker runs a bounded number of password "
    "checks at once; past it, a 503 `busy` with `Retry-After`."
)
