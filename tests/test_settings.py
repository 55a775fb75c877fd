"""Settings refuse what would be unsafe in production."""

import pytest
from pydantic import ValidationError

from api.settings import DEVELOPMENT_SECRET, Settings


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key=DEVELOPMENT_SECRET)


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key="too-short")


def test_production_accepts_a_long_random_secret() -> None:
    assert Settings(environment="production", secret_key="x" * 40).secret_key == "x" * 40


@pytest.mark.parametrize("minutes", [0, 16, 60])
def test_access_tokens_live_at_most_15_minutes(minutes: int) -> None:
    with pytest.raises(ValidationError, match="ACCESS_TOKEN_MINUTES"):
        Settings(access_token_minutes=minutes)


def test_plain_urls_choose_the_async_driver() -> None:
    from api.db import async_url

    assert async_url("sqlite:///./x.db").startswith("sqlite+aiosqlite:///")
    assert async_url("postgresql://u@h:5432/d").startswith("postgresql+asyncpg://u@h:5432/d")
    with pytest.raises(ValueError, match="mysql"):
        async_url("mysql://u@h/d")
