"""Settings from the environment (or a `.env` file), each bounded where it is declared.
No secret has a usable default: see `secret_key`."""

import ipaddress
import os
import secrets
import time
from contextlib import suppress
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Keys that were once published with the code: never accepted, whatever the environment.
PUBLISHED_KEYS = frozenset({"development-only-secret-change-me-0123456789"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./toward.db"
    # The token signing key, 32+ characters. Production must set it. Elsewhere, left
    # unset, a random key is made once into `secret_key_file` (git-ignored) and read by
    # every worker, so `make run` needs no set-up and no key is ever shared.
    secret_key: str = Field(default="", repr=False)
    secret_key_file: Path = Path(".secret_key")
    access_token_minutes: int = Field(default=15, ge=1, le=15)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    # A login's whole life: refreshing renews its token, never past this.
    login_days: int = Field(default=90, ge=1, le=365)
    invite_hours: int = Field(default=72, ge=1, le=24 * 30)
    # Failed logins allowed per window, per account and (more loosely) per address.
    login_failures_per_email: int = Field(default=5, ge=1, le=1000)
    login_failures_per_client: int = Field(default=30, ge=1, le=100_000)
    login_window_seconds: int = Field(default=60, ge=1, le=86_400)
    # Registrations allowed per client address per window: each costs a password hash.
    registrations_per_client: int = Field(default=20, ge=1, le=1_000_000)
    registration_window_seconds: int = Field(default=3600, ge=1, le=86_400)
    # Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated).
    # Empty: the client address is the connection's.
    trusted_proxies: Annotated[list[Network], NoDecode] = Field(default_factory=list)
    # The largest request body read, in bytes; a larger one is a 413.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    # The same for a batch (`…:batch`): up to 500 items, each with a note of up to 1000
    # characters.
    max_batch_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Per worker, for each of the two pools on PostgreSQL (SQLAlchemy's, asyncpg's).
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # The batched writes on PostgreSQL (api/core/sql.py), per worker: rows waiting for a
    # batch past this are refused, and a request waits at most this long for its
    # row's commit; both get a 503 to retry.
    write_queue_limit: int = Field(default=1000, ge=1, le=100_000)
    write_timeout_seconds: float = Field(default=10.0, ge=0.1, le=300.0)
    # Argon2id cost; the defaults are argon2-cffi's (64 MiB, 3 passes). Tests lower them.
    password_hash_time_cost: int = Field(default=3, ge=1, le=10)
    password_hash_memory_kib: int = Field(default=65536, ge=1024, le=1024 * 1024)
    # Hashes running at once per worker, each holding `password_hash_memory_kib`; a
    # request that would start one more is a 503 at once.
    password_hashes_in_flight: int = Field(default=2, ge=1, le=64)
    # How often each worker deletes expired refresh tokens and spent rate-limit rows.
    housekeeping_seconds: int = Field(default=3600, ge=1, le=86_400)
    # How long a deleted bid, check-in or activity stays as a tombstone for offline
    # sync; a client whose last sync is older must sync again from nothing (a 410).
    changes_tombstone_days: int = Field(default=180, ge=1, le=3650)
    # Live updates (`GET …/events`): a comment line this often keeps an idle stream
    # open through proxies and finds a client that is gone; a user's streams beyond
    # the bound (per worker) end, oldest first; a worker takes at most so many in all.
    event_heartbeat_seconds: float = Field(default=15.0, ge=0.05, le=300.0)
    event_streams_per_user: int = Field(default=4, ge=1, le=100)
    event_streams_per_worker: int = Field(default=1000, ge=1, le=100_000)
    # On SQLite (no LISTEN), how often a worker with open streams reads the sequences.
    event_poll_seconds: float = Field(default=0.25, ge=0.01, le=60.0)
    # Computed trends kept per worker (api/core/cache.py); each is ~30 KB. 0: none.
    trends_cache_size: int = Field(default=256, ge=0, le=100_000)
    # Couples' caseload readings kept per worker (api/therapists/ranking.py), each
    # ~2 KB, and as many couples again in therapists' ranked caseloads. 0: none.
    caseload_cache_size: int = Field(default=4096, ge=0, le=1_000_000)
    # Couples awaiting one therapist's answer at once: a grant that would make one more
    # is a 409, so nobody can flood a therapist's invitations (listed whole, unpaged).
    therapist_invitations_limit: int = Field(default=50, ge=1, le=1000)

    # `GET /me/export`: each streams for as long as its client reads, holding one of the
    # pool's connections and a snapshot of the database. A user may export so many times
    # per window, one at a time; a worker streams at most so many at once (keep it well
    # below `db_pool_size`: other requests need connections meanwhile); and an export is
    # cut off after `export_seconds`, so that no client holds a snapshot for long.
    exports_per_user: int = Field(default=4, ge=1, le=1000)
    export_window_seconds: int = Field(default=3600, ge=1, le=7 * 86_400)
    exports_per_worker: int = Field(default=2, ge=1, le=100)
    export_seconds: float = Field(default=600.0, ge=0.1, le=3600.0)

    # Mail (api/core/mail.py): `smtp` sends through `mail_host`; `log` writes each message to
    # the log instead, for development (`make run` needs no mail server). Production
    # must send for real, from an address of its own.
    mail_backend: Literal["log", "smtp"] = "log"
    mail_from: str = Field(default="Toward <no-reply@localhost>", min_length=3, max_length=320)
    mail_host: str = Field(default="localhost", max_length=255)
    mail_port: int = Field(default=587, ge=1, le=65535)
    # `starttls` upgrades a plain connection (port 587), `tls` opens one (port 465).
    mail_security: Literal["starttls", "tls", "none"] = "starttls"
    mail_username: str = Field(default="", max_length=320)
    mail_password: str = Field(default="", repr=False, max_length=1024)
    mail_timeout_seconds: float = Field(default=10.0, ge=0.1, le=120.0)
    # A message that fails is tried again after 1, 2, 4, ... times `mail_retry_seconds`
    # (at most 10 minutes apart), `mail_attempts` times in all; per worker, at most
    # `mail_queue_limit` wait, and more are dropped (the user asks for a code again).
    mail_attempts: int = Field(default=8, ge=1, le=30)
    mail_retry_seconds: float = Field(default=2.0, ge=0.01, le=600.0)
    mail_queue_limit: int = Field(default=1000, ge=1, le=100_000)
    # How long a mailed code works: one that verifies an address, one that resets a
    # password. At most `codes_per_hour` of each are mailed to an account in an hour.
    verify_code_hours: int = Field(default=48, ge=1, le=24 * 14)
    reset_code_minutes: int = Field(default=30, ge=5, le=24 * 60)
    codes_per_hour: int = Field(default=3, ge=1, le=100)
    # Password resets asked for, and wrong codes sent, per client address per window.
    code_requests_per_client: int = Field(default=20, ge=1, le=1_000_000)
    code_window_seconds: int = Field(default=3600, ge=1, le=86_400)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _a_secret_key_of_our_own(self) -> Self:
        source = "SECRET_KEY"
        if not self.secret_key:
            if self.environment == "production":
                raise ValueError("SECRET_KEY must be set in production (32+ random characters)")
            self.secret_key = local_key(self.secret_key_file)
            source = f"the key in {self.secret_key_file} (SECRET_KEY_FILE)"
        if len(self.secret_key) < 32 or self.secret_key in PUBLISHED_KEYS:
            raise ValueError(f"{source} must be a random value of 32+ characters")
        return self

    @model_validator(mode="after")
    def _real_mail_in_production(self) -> Self:
        # The log backend writes codes into the log: for a developer's machine only.
        if self.environment == "production" and self.mail_backend != "smtp":
            raise ValueError("MAIL_BACKEND must be smtp in production")
        if self.environment == "production" and self.mail_from.rstrip(">").endswith("@localhost"):
            raise ValueError("MAIL_FROM must be set in production (the sender's address)")
        return self


def local_key(path: Path) -> str:
    """The key in `path`, made first if there is none. Workers starting together agree:
    each writes a candidate aside and links it into place, and only the first link
    succeeds (where links are not allowed, the first exclusive create does)."""
    if not path.exists():
        key = secrets.token_urlsafe(48)
        candidate = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        _write_new(candidate, key)
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        except OSError:
            with suppress(FileExistsError):
                _write_new(path, key)
        finally:
            candidate.unlink()
    for _ in range(50):  # another worker's exclusive create may not be written yet
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    return key


def _write_new(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def get_settings() -> Settings:
    """The environment's settings, read afresh: the app reads them once, when it starts
    (api/main.py), and keeps them in `app.state.settings`; nothing else holds a copy."""
    return Settings()
