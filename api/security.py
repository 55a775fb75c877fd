"""Password hashing, access tokens and the opaque secrets (refresh tokens, invite codes)."""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from api.settings import Settings, get_settings


@cache
def _hasher() -> PasswordHash:
    settings = get_settings()
    return PasswordHash(
        (
            Argon2Hasher(
                time_cost=settings.password_hash_time_cost,
                memory_cost=settings.password_hash_memory_kib,
            ),
        )
    )


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so that costs as long as a real check."""
    return _hasher().hash("not-a-real-password-0000")


ALGORITHM = "HS256"
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _hasher().verify(password, _dummy_hash())
        return False
    return _hasher().verify(password, password_hash)


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


def read_access_token(token: str, settings: Settings) -> Caller | None:
    verified = _verify_access_token(token, settings.secret_key)
    if verified is None or verified[1] <= time.time():
        return None
    return verified[0]


# A client sends the same token for up to 15 minutes: its signature is checked once
# per process, its expiry on every request.
@lru_cache(maxsize=8192)
def _verify_access_token(token: str, secret_key: str) -> tuple[Caller, float] | None:
    try:
        claims = jwt.decode(
            token,
            secret_key,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "typ"], "verify_exp": False},
        )
        if claims["typ"] != "access":
            return None
        caller = Caller(id=uuid.UUID(claims["sub"]), account_type=str(claims.get("role", "")))
        return caller, float(claims["exp"])
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
