"""Settings refuse what would be unsafe, and the signing key is never one the code
publishes."""

import os
import stat
import time
from pathlib import Path

import jwt
import pytest
from pydantic import ValidationError

from api.core.settings import PUBLISHED_KEYS, Settings
from api.main import provide
from tests.factories import register
from tests.http import assert_problem


def test_production_requires_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY must be set in production"):
        Settings(environment="production", secret_key="", secret_key_file=tmp_path / "key")
    assert not (tmp_path / "key").exists()


@pytest.mark.parametrize("environment", ["development", "test", "production"])
@pytest.mark.parametrize("key", ["too-short", *PUBLISHED_KEYS])
def test_a_short_or_published_key_is_refused_everywhere(environment: str, key: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment=environment, secret_key=key)


# What production needs besides its key: a mail server, and a sender of its own.
PRODUCTION_MAIL = {"mail_backend": "smtp", "mail_from": "Toward <no-reply@example.org>"}


def test_production_accepts_a_long_random_secret() -> None:
    settings = Settings(environment="production", secret_key="x" * 40, **PRODUCTION_MAIL)
    assert settings.secret_key == "x" * 40


@pytest.mark.parametrize(
    ("mail", "refused"),
    [
        ({"mail_backend": "log"}, "MAIL_BACKEND must be smtp"),
        ({"mail_from": "Toward <no-reply@localhost>"}, "MAIL_FROM must be set"),
    ],
)
def test_production_sends_real_mail_from_its_own_address(
    mail: dict[str, str], refused: str
) -> None:
    """The development backend writes codes into the log; the default sender is no
    address anyone can answer."""
    with pytest.raises(ValidationError, match=refused):
        Settings(environment="production", secret_key="x" * 40, **{**PRODUCTION_MAIL, **mail})
    assert Settings(environment="development", secret_key="x" * 40, **mail)


def test_without_a_key_development_makes_one_of_its_own_once(tmp_path: Path) -> None:
    path = tmp_path / ".secret_key"
    first = Settings(environment="development", secret_key="", secret_key_file=path)
    second = Settings(environment="development", secret_key="", secret_key_file=path)
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key == path.read_text().strip()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [entry.name for entry in tmp_path.iterdir()] == [".secret_key"]
    # Another checkout, another key: nothing shared, nothing published.
    other = Settings(environment="development", secret_key="", secret_key_file=tmp_path / "b")
    assert other.secret_key != first.secret_key


def test_where_files_cannot_be_linked_the_key_is_still_made_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*_: object) -> None:
        raise PermissionError("hard links are not allowed here")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / ".secret_key"
    first = Settings(environment="development", secret_key="", secret_key_file=path)
    second = Settings(environment="development", secret_key="", secret_key_file=path)
    assert len(first.secret_key) >= 32 and first.secret_key == second.secret_key
    assert [entry.name for entry in tmp_path.iterdir()] == [".secret_key"]


def test_a_short_key_file_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / ".secret_key"
    path.write_text("short\n")
    with pytest.raises(ValidationError, match="SECRET_KEY_FILE"):
        Settings(environment="development", secret_key="", secret_key_file=path)


def test_the_local_key_file_is_ignored_by_git() -> None:
    root = Path(__file__).resolve().parents[2]
    ignored = (root / ".gitignore").read_text().split()
    assert Settings.model_fields["secret_key_file"].default.name in ignored
    assert ".secret_key" in (root / ".dockerignore").read_text().split()


@pytest.mark.parametrize("minutes", [0, 16, 60])
def test_access_tokens_live_at_most_15_minutes(minutes: int) -> None:
    with pytest.raises(ValidationError, match="access_token_minutes"):
        Settings(access_token_minutes=minutes)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("password_hashes_in_flight", 0),
        ("max_body_bytes", 10),
        ("registrations_per_client", 0),
        ("login_days", 0),
        ("db_pool_size", 0),
        ("exports_per_user", 0),
        ("exports_per_worker", 0),
        ("export_seconds", 0),
        ("export_window_seconds", 8 * 86_400),
    ],
)
def test_bounds_are_declared_on_the_fields(name: str, value: int) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings(**{name: value})


def test_trusted_proxies_are_comma_separated_addresses_or_networks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7,2001:db8::/32")
    proxies = [str(network) for network in Settings().trusted_proxies]
    assert proxies == ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]
    monkeypatch.setenv("TRUSTED_PROXIES", "")
    assert Settings().trusted_proxies == []
    monkeypatch.setenv("TRUSTED_PROXIES", "not-an-address")
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings()


def test_plain_urls_choose_the_async_driver() -> None:
    from api.core.db import async_url

    assert async_url("sqlite:///./x.db").startswith("sqlite+aiosqlite:///")
    assert async_url("postgresql://u@h:5432/d").startswith("postgresql+asyncpg://u@h:5432/d")
    with pytest.raises(ValueError, match="mysql"):
        async_url("mysql://u@h/d")


async def test_a_deployment_that_sets_nothing_refuses_tokens_signed_with_a_published_key(
    app, client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    provide(app, Settings(_env_file=None, secret_key_file=tmp_path / ".secret_key"))
    person = await register(client)
    assert (await client.get("/api/v1/me", headers=person.headers)).status_code == 200
    for key in PUBLISHED_KEYS:
        forged = jwt.encode(
            {"sub": person.id, "typ": "access", "role": "therapist", "exp": time.time() + 600},
            key,
            algorithm="HS256",
        )
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
        assert_problem(response, 401)
