"""`make bench`: the API on PostgreSQL with 2 workers, driven by wrk with 32 concurrent
connections; every endpoint is reported beside `GET /healthz` measured in the same run,
as a ratio, because these machines are shared and noisy.

Measured: bid writes (one couple, client-chosen ids), and 52 weeks of trends for two
simulated couples (api/simulator.py), one with 30,000 bids over two years and one with
300 over one: a read that costs O(weeks) answers both at about the same rate.

Environment: BENCH_DATABASE_URL (a PostgreSQL server URL; default the local one),
BENCH_SECONDS per endpoint (default 15), BENCH_CONNECTIONS (default 32)."""

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from api.db import create_engine
from api.security import hash_password
from api.seed import seed_couple
from api.simulator import simulate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Result:
    name: str
    rate: float
    p50_ms: float
    p99_ms: float
    failures: int
    answered: int


def _psql_url(database: str) -> str:
    return SERVER_URL.rsplit("/", 1)[0] + f"/{database}"


def _admin(statement: str) -> None:
    subprocess.run(
        [str(BIN / "python"), "-c", _ADMIN_SNIPPET, SERVER_URL, statement], check=True, cwd=ROOT
    )


_ADMIN_SNIPPET = """
import asyncio, sys
import sqlalchemy as sa
from api.db import create_engine
async def main():
    engine = create_engine(sys.argv[1], poolclass=sa.pool.NullPool)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(sys.argv[2]))
    await engine.dispose()
asyncio.run(main())
"""


def _count_bids(database_url: str, couple_id: str) -> int:
    out = subprocess.run(
        [str(BIN / "python"), "-c", _COUNT_SNIPPET, database_url, couple_id],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return int(out.stdout)


_COUNT_SNIPPET = """
import asyncio, sys
import asyncpg
async def main():
    conn = await asyncpg.connect(sys.argv[1])
    query = "SELECT count(*) FROM bids WHERE couple_id = $1::uuid"
    print(await conn.fetchval(query, sys.argv[2]))
    await conn.close()
asyncio.run(main())
"""


# (name, bids, weeks) of the simulated couples whose trends are read.
TREND_COUPLES = [("30,000 bids", 30_000, 104), ("300 bids", 300, 52)]
SEED_PASSWORD = "bench-password-123"


def _seed_trend_couples(database_url: str) -> list[tuple[str, str, str]]:
    """(name, couple id, a partner's email) for each of TREND_COUPLES, written straight
    to the database; the rollup triggers count them as any write would."""

    async def seed() -> list[tuple[str, str, str]]:
        engine = create_engine(database_url, poolclass=sa.pool.NullPool)
        password_hash = hash_password(SEED_PASSWORD)
        seeded = []
        async with engine.begin() as conn:
            for number, (name, bids, weeks) in enumerate(TREND_COUPLES):
                simulated = simulate(
                    "masters",
                    seed=number + 1,
                    end=datetime.now(UTC),
                    weeks=weeks,
                    bids_per_day=bids / (weeks * 7),
                )
                emails = (f"a{number}@bench.example", f"b{number}@bench.example")
                couple = await seed_couple(
                    conn,
                    simulated,
                    names=("Ana", "Ben"),
                    emails=emails,
                    password_hash=password_hash,
                )
                print(f"seeded {name}: {couple.bids} bids over {weeks} weeks")
                seeded.append((name, str(couple.couple_id), emails[0]))
        # A database in service has statistics (autovacuum); a freshly seeded one not yet.
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(sa.text("ANALYZE"))
        await engine.dispose()
        return seeded

    return asyncio.run(seed())


def _call(method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def _wait_ready(process: subprocess.Popen[bytes]) -> None:
    for _ in range(100):
        if process.poll() is not None:
            raise SystemExit("the API exited while starting")
        try:
            _call("GET", "/readyz")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise SystemExit("the API did not become ready")


def _login(email: str) -> str:
    body = {"email": email, "password": SEED_PASSWORD}
    return str(_call("POST", "/api/v1/auth/login", body)["access_token"])


def _partner(name: str) -> str:
    email = f"{name}-{uuid.uuid4().hex[:8]}@bench.example"
    _call(
        "POST",
        "/api/v1/auth/register",
        {"email": email, "password": SEED_PASSWORD, "display_name": name},
    )
    return _login(email)


def _wrk(name: str, path: str, script: str, token: str | None, seconds: int) -> Result:
    env = {**os.environ, "BENCH_TOKEN": token or "", "BENCH_DIR": str(HERE)}
    if not token:
        env.pop("BENCH_TOKEN")
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(HERE / script),
            BASE + path,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(
        r"BENCH non2xx=(\d+) connect=(\d+) read=(\d+) write=(\d+) timeout=(\d+)", out
    )
    failures = sum(int(n) for n in errors.groups()) if errors else -1
    answered = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return Result(name, rate, _percentile(out, "50"), _percentile(out, "99"), failures, answered)


def _percentile(out: str, which: str) -> float:
    match = re.search(rf"^\s+{which}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def _report(baseline: Result, results: list[Result]) -> None:
    print(
        f"\n{'endpoint':<52} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'fail':>5} {'÷ healthz':>10}"
    )
    for result in [baseline, *results]:
        print(
            f"{result.name:<52} {result.rate:>9.0f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f}"
            f" {result.failures:>5} {result.rate / baseline.rate:>10.2f}"
        )


def _serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            str(BIN / "uvicorn"),
            "api.main:app",
            "--port",
            str(PORT),
            "--workers",
            "2",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    _wait_ready(server)
    return server


def _stop(server: subprocess.Popen[bytes] | None) -> None:
    if server is not None:
        server.terminate()
        server.wait(timeout=30)


def _read_trends(trend_couples: list[tuple[str, str, str]], note: str) -> list[Result]:
    return [
        _wrk(
            f"GET trends/weekly?weeks=52 ({name}{note})",
            f"/api/v1/couples/{couple_id}/trends/weekly?weeks=52",
            "get.lua",
            _login(email),
            SECONDS,
        )
        for name, couple_id, email in trend_couples
    ]


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    database = f"toward_bench_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{database}"')
    env = {
        **os.environ,
        "DATABASE_URL": _psql_url(database),
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ENVIRONMENT": "production",
    }
    server = None
    try:
        subprocess.run(
            [str(BIN / "alembic"), "upgrade", "head"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        trend_couples = _seed_trend_couples(env["DATABASE_URL"])
        server = _serve(env)
        first, second = _partner("ana"), _partner("ben")
        couple = _call("POST", "/api/v1/couples", {"name": "bench"}, first)
        _call("POST", "/api/v1/couples/join", {"code": couple["invite"]["code"]}, second)
        bids_path = f"/api/v1/couples/{couple['id']}/bids"

        _wrk("warm-up", "/healthz", "get.lua", None, 3)
        baseline = _wrk("GET /healthz", "/healthz", "get.lua", None, SECONDS)
        writes = _wrk("POST /couples/{id}/bids", bids_path, "post_bid.lua", first, SECONDS)
        reads = _read_trends(trend_couples, "")
        # The same reads with the memory of computed trends off: each request computes
        # its 52 weeks from the rollups, as the first read after any write does.
        _stop(server)
        server = _serve({**env, "TRENDS_CACHE_SIZE": "0"})
        computed = _read_trends(trend_couples, ", computed")
        _report(baseline, [writes, *reads, *computed])
        print(
            f"\ntrends, 30,000 bids ÷ 300 bids: {reads[0].rate / reads[1].rate:.2f}"
            f" (computed each time: {computed[0].rate / computed[1].rate:.2f})"
        )
        stored = _count_bids(env["DATABASE_URL"], couple["id"])
        # wrk does not count the requests still in flight when it stops.
        print(f"\nbids answered {writes.answered - writes.failures}, stored {stored}")
        if not 0 <= stored - (writes.answered - writes.failures) <= CONNECTIONS:
            raise SystemExit("the bids stored do not match the bids answered")
    finally:
        _stop(server)
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
