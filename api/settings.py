"""Settings from the environment. Secrets have no usable default outside development."""

from functools import cache
from typing import Literal, Self

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me-0123456789"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./toward.db"
    secret_key: str = DEVELOPMENT_SECRET
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    invite_hours: int = 72
    # Failed logins allowed per minute, per account and (more loosely) per address.
    login_failures_per_email: int = 5
    login_failures_per_client: int = 30
    login_window_seconds: int = 60
    # Per worker, for each of the two pools on PostgreSQL (SQLAlchemy's, asyncpg's).
    db_pool_size: int = 10
    # Argon2id cost; the defaults are argon2-cffi's (64 MiB, 3 passes). Tests lower them.
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    # Computed trends kept per worker (api/trends/cache.py); each is ~30 KB. 0: none.
    trends_cache_size: int = 256
    # Couples' caseload readings kept per worker (api/therapists/caseload.py); each
    # is ~2 KB. 0: none.
    caseload_cache_size: int = 4096

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> Self:
        weak = self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32
        if self.environment == "production" and weak:
            raise ValueError("SECRET_KEY must be set to a random value of 32+ characters")
        if not 1 <= self.access_token_minutes <= 15:
            raise ValueError("ACCESS_TOKEN_MINUTES must be between 1 and 15")
        return self


@cache
def get_settings() -> Settings:
    return Settings()
