"""docker-compose.yml is valid and complete; Docker itself does not run here."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("docker-compose") is None and not os.environ.get("CI"),
    reason="docker-compose is not installed (.ci/run installs it)",
)


def _config(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in ("POSTGRES_PASSWORD", "SECRET_KEY", "MAIL_HOST", "MAIL_FROM")
    }
    return subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        cwd=ROOT,
        check=False,
    )


SECRETS = {
    "POSTGRES_PASSWORD": "s3cret",
    "SECRET_KEY": "k" * 40,
    "MAIL_HOST": "smtp.example.org",
    "MAIL_FROM": "Toward <no-reply@example.org>",
}


def test_config_is_valid_with_the_secrets_given() -> None:
    result = _config(**SECRETS)
    assert result.returncode == 0, result.stderr
    rendered = result.stdout
    assert "service_healthy" in rendered  # migrations wait for a healthy database
    assert "service_completed_successfully" in rendered  # the API waits for migrations
    assert "alembic" in rendered and "upgrade" in rendered
    assert "pg_isready" in rendered
    assert "postgresql://toward:s3cret@db:5432/toward" in rendered
    # Codes go out by mail for real: the log backend is for development only.
    assert "MAIL_BACKEND: smtp" in rendered
    assert "MAIL_HOST: smtp.example.org" in rendered


def test_it_runs_postgres_migrations_and_the_api() -> None:
    result = _config("--services", **SECRETS)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"db", "migrate", "api"}


def test_secrets_are_required_from_the_environment() -> None:
    result = _config()
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr or "SECRET_KEY" in result.stderr


def test_the_mail_server_is_required_from_the_environment() -> None:
    for missing in ("MAIL_HOST", "MAIL_FROM"):
        result = _config(**{key: value for key, value in SECRETS.items() if key != missing})
        assert result.returncode != 0
        assert missing in result.stderr


def test_the_client_address_is_read_the_same_way_everywhere() -> None:
    """uvicorn's own X-Forwarded-For handling would trust 127.0.0.1 whatever the
    settings say: every way of serving turns it off and leaves it to TRUSTED_PROXIES."""
    assert "--no-proxy-headers" in (ROOT / "Makefile").read_text()
    assert '"--no-proxy-headers"' in (ROOT / "Dockerfile").read_text()
    rendered = _config(**SECRETS, TRUSTED_PROXIES="10.0.0.0/8")
    assert rendered.returncode == 0, rendered.stderr
    assert "TRUSTED_PROXIES: 10.0.0.0/8" in rendered.stdout
    assert "TRUSTED_PROXIES: ''" in _config(**SECRETS).stdout
