"""Access tokens and the opaque secrets (refresh tokens, invite codes). Passwords are
hashed in api/auth/passwords.py."""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt

from api.core.settings import Settings

ALGORITHM = "HS256"
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
# Our access tokens are about 250 characters; anything much longer is not one of them.
MAX_TOKEN_LENGTH = 2048


@dataclass(frozen=True, slots=True)
class Caller:
    """Who an access token says is calling."""

    id: uuid.UUID
    account_type: str


def create_access_token(user_id: uuid.UUID, account_type: str, settings: Settings) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "typ": "access",
        "role": account_type,
        "iat": now,
        "exp": now + timedelta(minutes=settings.access_token_minutes),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def read_access_token(token: str, settings: Settings) -> tuple[Caller, float] | None:
    """The caller and the moment (a Unix time) the token expires; None for a token
    that is not a live access token of ours."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        caller, expires = _verified_access_token(token, settings.secret_key)
    except _NotOurs:
        return None
    return (caller, expires) if expires > time.time() else None


class _NotOurs(Exception):
    pass


# A client sends the same token for up to 15 minutes: its signature is checked once
# per process, its expiry on every request. Only tokens we signed are remembered (a
# failure raises, which `lru_cache` does not keep): made-up bearer strings cannot push
# real ones out.
@lru_cache(maxsize=8192)
def _verified_access_token(token: str, secret_key: str) -> tuple[Caller, float]:
    try:
        claims = jwt.decode(
            token,
            secret_key,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "typ"], "verify_exp": False},
        )
        if claims["typ"] != "access":
            raise _NotOurs
        caller = Caller(id=uuid.UUID(claims["sub"]), account_type=str(claims.get("role", "")))
        return caller, float(claims["exp"])
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as error:
        raise _NotOurs from error


# A device token proves that its client once logged in to the account with the right
# password (api/auth/service.py: its failed logins are counted apart from strangers').
DEVICE_TOKEN_DAYS = 365


@dataclass(frozen=True, slots=True)
class Device:
    user_id: uuid.UUID
    id: uuid.UUID


def create_device_token(device: Device, settings: Settings) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(device.user_id),
        "typ": "device",
        "jti": str(device.id),
        "iat": now,
        "exp": now + timedelta(days=DEVICE_TOKEN_DAYS),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def read_device_token(token: str | None, settings: Settings) -> Device | None:
    """The device, or None for anything we did not sign as a live device token."""
    if token is None or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "typ", "jti"]},
        )
        if claims["typ"] != "device":
            return None
        return Device(user_id=uuid.UUID(claims["sub"]), id=uuid.UUID(claims["jti"]))
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return None


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Stored form of a high-entropy secret: a plain SHA-256 is enough for those."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_invite_code() -> str:
    raw = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_invite_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())
