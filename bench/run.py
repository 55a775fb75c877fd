"""`make bench`: the API on PostgreSQL with 2 workers, driven by wrk with 32 concurrent
connections; every endpoint is reported beside `GET /healthz` measured in the same run,
as a ratio, because these machines are shared and noisy: each row against healthz
measured for a few seconds just before and just after it, as the machine's speed drifts
within a run.

Measured: bid writes (one couple, client-chosen ids) one by one and in batches of 500
(`bids:batch`, reported in bids stored per second), 52 weeks of trends for two
simulated couples (simulation/simulator.py), one with 30,000 bids over two years and one with
300 over one: a read that costs O(weeks) answers both at about the same rate; the
first again with the ETag a client holds, answered 304 with no body, and again each
after a bid logged to it (computed afresh, with the memories on: only the weeks the
bid changed; and the same taking gzip, as a phone does: each answer compressed
afresh), and each after a bid logged to another couple (answered from memory:
what reads after writes would run at were their computation free); whole syncs of a
year of a couple from the changes feed, page by page (bench/changes.lua); the time
from a write to its notice on the partner's open event stream; and a
therapist's caseload of 200 simulated couples of a year each (the simulator's five
profiles in turn, at their own rates of bids), a page of 50 (the default) and all 200
in one page, against another therapist's caseload of 20 of those couples, all in one
page. Each caseload read also writes: it enters every couple it lists in the
access log. Trends and caseload are measured as served (a worker remembers what it
computed until the couple's figures change) and computed on every request (the
memories off), as the first read of a window is. Last, a couple's bids are listed by a
few clients, alone and then while 40 others flood the server with registrations and
failed logins (bench/flood.lua), each a password hash at production cost.

Environment: BENCH_DATABASE_URL (a PostgreSQL server URL; default the local one),
BENCH_SECONDS per endpoint (default 15), BENCH_CONNECTIONS (default 32)."""

import asyncio
import contextlib
import http.client
import json
import os
import queue
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth.passwords import hash_password
from api.core.db import create_engine
from api.core.settings import Settings
from models.therapist import Answer, TherapistGrant
from models.user import User
from models.vocabulary import AccountType
from simulation.seed import seed_couple
from simulation.simulator import PROFILES, simulate

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
    # The rate of GET /healthz around it (`Around`), which its ratio is taken against.
    healthz: float = 0.0


def _psql_url(database: str) -> str:
    return SERVER_URL.rsplit("/", 1)[0] + f"/{database}"


def _admin(statement: str) -> None:
    subprocess.run(
        [str(BIN / "python"), "-c", _ADMIN_SNIPPET, SERVER_URL, statement], check=True, cwd=ROOT
    )


_ADMIN_SNIPPET = """
import asyncio, sys
import sqlalchemy as sa
from api.core.db import create_engine
async def main():
    engine = create_engine(sys.argv[1], poolclass=sa.pool.NullPool)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(sys.argv[2]))
    await engine.dispose()
asyncio.run(main())
"""


def _count(database_url: str, query: str, *arguments: str) -> int:
    out = subprocess.run(
        [str(BIN / "python"), "-c", _COUNT_SNIPPET, database_url, query, *arguments],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return int(out.stdout)


_COUPLE_BIDS = "SELECT count(*) FROM bids WHERE couple_id = $1::uuid"
_COUNT_SNIPPET = """
import asyncio, sys
import asyncpg
async def main():
    conn = await asyncpg.connect(sys.argv[1])
    print(await conn.fetchval(sys.argv[2], *sys.argv[3:]))
    await conn.close()
asyncio.run(main())
"""


# (name, bids, weeks) of the simulated couples whose trends are read.
TREND_COUPLES = [("30,000 bids", 30_000, 104), ("300 bids", 300, 52)]
SEED_PASSWORD = "bench-password-123"
# The therapist's caseload: couples of CASELOAD_WEEKS each, the profiles in turn.
CASELOAD_COUPLES = 200
CASELOAD_WEEKS = 52
THERAPIST_EMAIL = "therapist@bench.example"
# A second therapist, whom the first SMALL_CASELOAD of those couples granted too: what a
# caseload costs against its size.
SMALL_CASELOAD = 20
SMALL_THERAPIST_EMAIL = "therapist20@bench.example"

_users: sa.Table = User.__table__  # type: ignore[attr-defined]
_grants: sa.Table = TherapistGrant.__table__  # type: ignore[attr-defined]


@dataclass
class Seeded:
    # (name, couple id, a partner's email) for each of TREND_COUPLES.
    trend_couples: list[tuple[str, str, str]]
    caseload: set[str]
    caseload_bids: int
    caseload_seconds: float


async def _seed_trend_couples(
    conn: AsyncConnection, password_hash: str
) -> list[tuple[str, str, str]]:
    seeded = []
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
            conn, simulated, names=("Ana", "Ben"), emails=emails, password_hash=password_hash
        )
        print(f"seeded {name}: {couple.bids} bids over {weeks} weeks")
        seeded.append((name, str(couple.couple_id), emails[0]))
    return seeded


async def _therapist(conn: AsyncConnection, email: str, password_hash: str) -> uuid.UUID:
    now = datetime.now(UTC)
    therapist_id = uuid.uuid4()
    await conn.execute(
        sa.insert(_users).values(
            id=therapist_id,
            email=email,
            password_hash=password_hash,
            display_name="Dr Bench",
            timezone="UTC",
            account_type=AccountType.therapist.value,
            love_languages={},
            created_at=now,
            updated_at=now,
        )
    )
    return therapist_id


async def _seed_caseload(conn: AsyncConnection, password_hash: str) -> tuple[set[str], int]:
    """A therapist account (THERAPIST_EMAIL) and CASELOAD_COUPLES couples whose two
    partners have both granted it access, the first SMALL_CASELOAD of which granted a
    second therapist (SMALL_THERAPIST_EMAIL) too, each couple accepted by the therapist:
    the couple ids and their bids in all."""
    now = datetime.now(UTC)
    therapist_id = await _therapist(conn, THERAPIST_EMAIL, password_hash)
    small_id = await _therapist(conn, SMALL_THERAPIST_EMAIL, password_hash)
    profiles = list(PROFILES)
    couple_ids: set[str] = set()
    grants: list[dict[str, Any]] = []
    bids = 0
    for number in range(CASELOAD_COUPLES):
        simulated = simulate(
            profiles[number % len(profiles)], seed=number + 1, end=now, weeks=CASELOAD_WEEKS
        )
        emails = (f"c{number}a@bench.example", f"c{number}b@bench.example")
        couple = await seed_couple(
            conn, simulated, names=("Cleo", "Dan"), emails=emails, password_hash=password_hash
        )
        couple_ids.add(str(couple.couple_id))
        bids += couple.bids
        therapists = [therapist_id, small_id] if number < SMALL_CASELOAD else [therapist_id]
        grants += [
            {
                "couple_id": couple.couple_id,
                "therapist_id": granted,
                "partner_id": partner_id,
                "granted_at": now,
                "answer": Answer.accepted.value,
                "answered_at": now,
            }
            for granted in therapists
            for partner_id in couple.partner_ids
        ]
    await conn.execute(sa.insert(_grants), grants)
    return couple_ids, bids


def _seed(database_url: str) -> Seeded:
    """Every simulated couple, written straight to the database in one transaction; the
    rollup triggers count their bids as any write would."""

    async def seed() -> Seeded:
        engine = create_engine(database_url, poolclass=sa.pool.NullPool)
        password_hash = hash_password(SEED_PASSWORD, Settings(secret_key=secrets.token_urlsafe(32)))
        async with engine.begin() as conn:
            trend_couples = await _seed_trend_couples(conn, password_hash)
            started = time.perf_counter()
            caseload, bids = await _seed_caseload(conn, password_hash)
        seconds = time.perf_counter() - started
        print(
            f"seeded the caseload: {len(caseload)} couples, {bids} bids over"
            f" {CASELOAD_WEEKS} weeks, in {seconds:.1f} s"
        )
        # A database in service is vacuumed and has statistics (autovacuum); a freshly
        # seeded one has neither, and the check-ins' rollup still holds every row the
        # seeding's recounts replaced (each check-in counts its week again): eight
        # times its live rows, which a read of the whole caseload would scan.
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(sa.text("VACUUM (FULL, ANALYZE)"))
        await engine.dispose()
        return Seeded(trend_couples, caseload, bids, seconds)

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


def _wrk_command(
    path: str,
    script: str,
    token: str | None,
    seconds: int,
    timeout: int,
    connections: int,
    extra: dict[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """`extra`: more of the script's environment (BENCH_ETAG for bench/conditional.lua,
    the tag to send in If-None-Match; BENCH_BODY for bench/post_batch.lua, the file of
    the body to post)."""
    env = {**os.environ, "BENCH_DIR": str(HERE), **(extra or {})}
    if token:
        env["BENCH_TOKEN"] = token
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={timeout}s",
        "--latency",
        "-s",
        str(HERE / script),
        BASE + path,
    ]
    return command, env


def _wrk_out(
    path: str,
    script: str,
    token: str | None,
    seconds: int,
    timeout: int = 2,
    connections: int = CONNECTIONS,
    extra: dict[str, str] | None = None,
) -> str:
    """wrk's report. `timeout`: seconds before wrk gives up on a request and counts it
    failed (its default is 2); a slow endpoint under CONNECTIONS queued requests needs
    more."""
    command, env = _wrk_command(path, script, token, seconds, timeout, connections, extra)
    return subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout


def _wrk(
    name: str,
    path: str,
    script: str,
    token: str | None,
    seconds: int,
    timeout: int = 2,
    connections: int = CONNECTIONS,
    extra: dict[str, str] | None = None,
) -> Result:
    return _parsed(name, _wrk_out(path, script, token, seconds, timeout, connections, extra))


def _parsed(name: str, out: str) -> Result:
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


def _ratio(ratio: float) -> str:
    """Two decimals, or two significant digits below 0.01 (the caseload's ratios)."""
    return f"{ratio:.2f}" if ratio >= 0.01 else f"{ratio:.2g}"


# GET /healthz for a few seconds before and after each measurement: a row is taken
# against the healthz of its own minutes, not of minutes before (a shared machine's
# speed drifts by a tenth and more within a run).
AROUND_SECONDS = 3


class Around:
    """GET /healthz measured around each measurement, one after another: the healthz
    after one is the healthz before the next."""

    def __init__(self, baseline: Result) -> None:
        """`baseline`: the healthz just measured, the one before the first row."""
        self.rates = [baseline.rate]
        self.before = baseline.rate

    def _healthz(self) -> float:
        rate = _wrk("GET /healthz", "/healthz", "get.lua", None, AROUND_SECONDS).rate
        self.rates.append(rate)
        return rate

    def renew(self, *, warm: bool = False) -> None:
        """After something measured by no row (a check, or a restart: `warm`, run a
        warm-up first): the healthz before the next row, from now."""
        if warm:
            _wrk("warm-up", "/healthz", "get.lua", None, AROUND_SECONDS)
        self.before = self._healthz()

    def __call__(self, result: Result) -> Result:
        """The result just measured, with the mean healthz of before and after it."""
        after = self._healthz()
        result.healthz = (self.before + after) / 2
        self.before = after
        return result


def _per_healthz(result: Result) -> float:
    return result.rate / result.healthz


def _report(baseline: Result, results: list[Result], around: Around) -> None:
    print(
        f"\n{'endpoint':<52} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'fail':>5} {'÷ healthz':>10}"
    )
    for result in [baseline, *results]:
        print(
            f"{result.name:<52} {result.rate:>9.0f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f}"
            f" {result.failures:>5} {_ratio(_per_healthz(result)):>10}"
        )
    print(
        f"\n÷ healthz: against GET /healthz measured for {AROUND_SECONDS} s before and after"
        f" each row (the mean of the two); it ran at {min(around.rates):.0f} to"
        f" {max(around.rates):.0f} req/s ({baseline.rate:.0f} over {SECONDS} s above)"
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
            "--no-proxy-headers",
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


BATCH_ITEMS = 500
# Fewer clients for batches: each is 500 rows in one transaction.
BATCH_CONNECTIONS = 8


def _push_batches(bids_path: str, token: str) -> Result:
    """Batches of BATCH_ITEMS bids, each item as a single create's body."""
    kinds = ("attention", "affection", "humor", "support", "conversation", "interest")
    items = [
        {"kind": kinds[number % len(kinds)], "response": "toward" if number % 5 else "away"}
        for number in range(BATCH_ITEMS)
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump({"items": items}, file)
    try:
        return _wrk(
            f"POST /couples/{{id}}/bids:batch ({BATCH_ITEMS} bids each)",
            bids_path + ":batch",
            "post_batch.lua",
            token,
            SECONDS,
            timeout=30,
            connections=BATCH_CONNECTIONS,
            extra={"BENCH_BODY": file.name},
        )
    finally:
        os.unlink(file.name)


def _etag(path: str, token: str) -> str:
    request = urllib.request.Request(BASE + path)
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        return str(response.headers["ETag"])


def _read_trends_held(trend_couples: list[tuple[str, str, str]]) -> Result:
    """The 52 weeks of the first couple asked for with the tag the client holds: 304s."""
    name, couple_id, email = trend_couples[0]
    path = f"/api/v1/couples/{couple_id}/trends/weekly?weeks=52"
    token = _login(email)
    return _wrk(
        f"GET trends/weekly?weeks=52 ({name}), If-None-Match: 304",
        path,
        "conditional.lua",
        token,
        SECONDS,
        extra={"BENCH_ETAG": _etag(path, token)},
    )


def _read_trends(
    trend_couples: list[tuple[str, str, str]], note: str, around: Around
) -> list[Result]:
    tokens = [_login(email) for _, _, email in trend_couples]
    return [
        around(
            _wrk(
                f"GET trends/weekly?weeks=52 ({name}{note})",
                f"/api/v1/couples/{couple_id}/trends/weekly?weeks=52",
                "get.lua",
                token,
                SECONDS,
            )
        )
        for (name, couple_id, _), token in zip(trend_couples, tokens, strict=True)
    ]


def _check_gzip(path: str, token: str) -> None:
    """Once before measuring: the answer comes gzip-compressed to a client that takes it."""
    request = urllib.request.Request(BASE + path)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept-Encoding", "gzip")
    with urllib.request.urlopen(request) as response:
        if response.headers["Content-Encoding"] != "gzip":
            raise SystemExit(f"{path} did not come gzip-compressed")


def _read_trends_after_writes(
    trend_couples: list[tuple[str, str, str]], *, gzip: bool = False
) -> Result:
    """The 52 weeks of the first couple, each read after a bid logged to it: the figures
    computed afresh, with the memories on; with `gzip`, the answer compressed, as for a
    phone (each answer is new: compressed afresh). The rate is of reads alone (half the
    requests)."""
    name, couple_id, email = trend_couples[0]
    extra = {"BENCH_WRITE_PATH": f"/api/v1/couples/{couple_id}/bids"}
    token = _login(email)
    if gzip:
        extra["BENCH_GZIP"] = "1"
        _check_gzip(f"/api/v1/couples/{couple_id}/trends/weekly?weeks=52", token)
    result = _wrk(
        f"GET trends/weekly?weeks=52 ({name}), after each write{', gzip' if gzip else ''}",
        f"/api/v1/couples/{couple_id}/trends/weekly?weeks=52",
        "write_then_read.lua",
        token,
        SECONDS,
        timeout=10,
        extra=extra,
    )
    result.rate /= 2
    return result


def _read_other_after_writes(trend_couples: list[tuple[str, str, str]]) -> Result:
    """A bid logged to a couple of its own, then the 52 weeks of the first trends
    couple read, in turn: the read is answered from memory, as no write changed its
    figures. What the reads after writes would run at were a computation free. The
    rate is of reads alone (half the requests)."""
    name, couple_id, email = trend_couples[0]
    writer = _partner("cleo")
    couple = _call("POST", "/api/v1/couples", {"name": "other"}, writer)
    _call("POST", "/api/v1/couples/join", {"code": couple["invite"]["code"]}, _partner("dan"))
    result = _wrk(
        f"GET trends/weekly?weeks=52 ({name}), after each write to another couple",
        f"/api/v1/couples/{couple_id}/trends/weekly?weeks=52",
        "write_then_read.lua",
        writer,
        SECONDS,
        timeout=10,
        extra={
            "BENCH_WRITE_PATH": f"/api/v1/couples/{couple['id']}/bids",
            "BENCH_READ_TOKEN": _login(email),
        },
    )
    result.rate /= 2
    return result


def _after_writes_note(writes: Result, after: Result, after_other: Result) -> str:
    """What a read after a write costs apart from its write: each pair of requests
    costs a write and a read, so the pairs' rate is bounded by the writes' own."""
    pair, write = after.healthz / after.rate, writes.healthz / writes.rate
    read = 1 / (pair - write) if pair > write else float("inf")
    remembered = after_other.healthz / after_other.rate - write
    fresh = pair - write
    return (
        f"trends after each write: each read alone (the pair's cost less a single"
        f" create's) at {read:.2f} of healthz; it costs {fresh:.1f} healthz requests,"
        f" a read from memory after a write {remembered:.1f}"
    )


# A year of a couple of the caseload, synced from nothing in pages of FEED_LIMIT.
FEED_LIMIT = 500


def _feed_year() -> tuple[Result, str]:
    """Whole syncs of a year of one couple from the changes feed, page by page; and what
    one sync is (pages and items)."""
    token = _login("c0a@bench.example")
    couple_id = _call("GET", "/api/v1/couples", token=token)["items"][0]["id"]
    path = f"/api/v1/couples/{couple_id}/changes"
    pages = items = 0
    cursor = ""
    while True:
        page = _call("GET", f"{path}?limit={FEED_LIMIT}{cursor}", token=token)
        pages += 1
        items += sum(len(page[kind]) for kind in ("bids", "checkins", "activities"))
        if not page["has_more"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    limit = {"BENCH_LIMIT": str(FEED_LIMIT)}
    out = _wrk_out(path, "changes.lua", token, SECONDS, timeout=10, extra=limit)
    result = _parsed(f"GET /couples/{{id}}/changes (a year, pages of {FEED_LIMIT})", out)
    syncs = re.search(r"BENCH syncs=(\d+)", out)
    done = int(syncs.group(1)) if syncs else 0
    return result, (
        f"changes feed: a year of a couple is {items} items in {pages} pages;"
        f" {done / SECONDS:.1f} whole syncs per second"
    )


# Writes whose notice is awaited on an open event stream, one at a time.
NOTICES = 200


def _notice_delays() -> str:
    """The time from a write's answer (its commit is before it) to the notice of it on
    the partner's open event stream, which a server process gets from PostgreSQL's
    NOTIFY: the stream and the write may be served by either of the two workers."""
    first, second = _partner("cleo"), _partner("dan")
    couple = _call("POST", "/api/v1/couples", {"name": "live"}, first)
    _call("POST", "/api/v1/couples/join", {"code": couple["invite"]["code"]}, second)
    arrivals: queue.Queue[float] = queue.Queue()
    stream = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    stream.request(
        "GET",
        f"/api/v1/couples/{couple['id']}/events",
        headers={"Authorization": f"Bearer {first}"},
    )
    answer = stream.getresponse()

    def read() -> None:
        # Until the stream is closed under it, which ends the read with an error.
        with contextlib.suppress(ValueError, OSError):
            for line in iter(answer.fp.readline, b""):
                if line.startswith(b"event: changed"):
                    arrivals.put(time.perf_counter())

    threading.Thread(target=read, daemon=True).start()
    after_answer, after_request = [], []
    path = f"/api/v1/couples/{couple['id']}/bids"
    for _ in range(NOTICES):
        sent = time.perf_counter()
        _call("POST", path, {"kind": "humor"}, second)
        answered = time.perf_counter()
        told = arrivals.get(timeout=10)
        after_answer.append((told - answered) * 1000)
        after_request.append((told - sent) * 1000)
    stream.close()
    quantiles = statistics.quantiles
    return (
        f"notices: {NOTICES} writes, each told on the partner's open stream; from the write's"
        f" answer to the notice p50 {statistics.median(after_answer):.2f} ms,"
        f" p95 {quantiles(after_answer, n=20)[-1]:.2f} ms; from the write's request"
        f" p50 {statistics.median(after_request):.2f} ms,"
        f" p95 {quantiles(after_request, n=20)[-1]:.2f} ms"
    )


CASELOAD_PATH = "/api/v1/therapist/couples"
CASELOAD_TIMEOUT = 30
# (name, therapist's email, path, couples listed) of the caseload reads measured.
CASELOAD_READS = [
    ("GET /therapist/couples (50 of 200, the default)", THERAPIST_EMAIL, CASELOAD_PATH, 50),
    (
        "GET /therapist/couples?limit=200 (all 200)",
        THERAPIST_EMAIL,
        f"{CASELOAD_PATH}?limit=200",
        200,
    ),
    (
        f"GET /therapist/couples (all {SMALL_CASELOAD} of {SMALL_CASELOAD})",
        SMALL_THERAPIST_EMAIL,
        CASELOAD_PATH,
        SMALL_CASELOAD,
    ),
]
# The couples each check of the caseloads lists (_check_caseload).
CHECKED_LISTINGS = 50 + 200 + SMALL_CASELOAD


def _check_caseload(token: str, small_token: str, couple_ids: set[str]) -> None:
    """Once before measuring: a default page is 50 couples and a cursor, `limit=200` all
    of them; both highest risk first; the small caseload all its couples in one page.
    An answer other than 2xx raises."""
    first = _call("GET", CASELOAD_PATH, token=token)
    whole = _call("GET", f"{CASELOAD_PATH}?limit=200", token=token)
    small = _call("GET", CASELOAD_PATH, token=small_token)
    if len(first["items"]) != 50 or first["next_cursor"] is None:
        raise SystemExit("the caseload's first page is not 50 couples and a cursor")
    if {item["couple_id"] for item in whole["items"]} != couple_ids or whole["next_cursor"]:
        raise SystemExit("the caseload with limit=200 is not every couple of it")
    if len(small["items"]) != SMALL_CASELOAD or small["next_cursor"] is not None:
        raise SystemExit(f"the small caseload is not {SMALL_CASELOAD} couples in one page")
    for page in (first, whole, small):
        risks = [item["risk"] for item in page["items"]]
        if risks != sorted(risks, reverse=True):
            raise SystemExit("the caseload is not sorted by risk, highest first")
    risks = [item["risk"] for item in whole["items"]]
    print(
        f"caseload: {len(risks)} couples, risk {min(risks)} to {max(risks)},"
        f" {len(set(risks))} distinct values, {len(json.dumps(whole)) // 1000} KB in one page"
    )


def _read_caseload(couple_ids: set[str], note: str, around: Around) -> list[Result]:
    """A caseload read that computes every couple's figures takes tens of milliseconds
    of a worker, so CONNECTIONS queued requests wait longer than wrk's default timeout."""
    tokens = {email: _login(email) for email in (THERAPIST_EMAIL, SMALL_THERAPIST_EMAIL)}
    _check_caseload(tokens[THERAPIST_EMAIL], tokens[SMALL_THERAPIST_EMAIL], couple_ids)
    around.renew()
    return [
        around(_wrk(name + note, path, "get.lua", tokens[email], SECONDS, timeout=CASELOAD_TIMEOUT))
        for name, email, path, _ in CASELOAD_READS
    ]


def _check_access_log(database_url: str, caseload: list[Result]) -> None:
    """Every couple a caseload read answered with is in the access log: those of each
    check and of each read wrk counted, and at most a page for each request still in
    flight when wrk stopped (CONNECTIONS of each run)."""
    runs = len(caseload) // len(CASELOAD_READS)
    listed, in_flight = CHECKED_LISTINGS * runs, 0
    for (*_, size), result in zip(CASELOAD_READS * runs, caseload, strict=True):
        listed += size * (result.answered - result.failures)
        in_flight += size * CONNECTIONS
    logged = _count(database_url, "SELECT count(*) FROM access_log")
    print(f"caseload couples answered {listed}, logged {logged}")
    if not 0 <= logged - listed <= in_flight:
        raise SystemExit("the access log does not match the caseload reads answered")


# A flood of registrations and failed logins (bench/flood.lua) from FLOOD_CONNECTIONS
# clients, while LIST_CONNECTIONS clients list a couple's bids.
FLOOD_CONNECTIONS = 40
LIST_CONNECTIONS = 4


def _lists_under_a_flood(bids_path: str, token: str, around: Around) -> tuple[Result, Result, str]:
    """Bid lists alone, then the same lists while a flood of password hashes runs: each
    hash is 64 MiB and tens of milliseconds of a core, and none holds a connection.
    Both against the healthz around the lists alone (during the flood healthz measures
    the flood, not the machine)."""
    name = f"GET /couples/{{id}}/bids ({LIST_CONNECTIONS} clients"
    quiet = around(
        _wrk(name + ")", bids_path, "get.lua", token, SECONDS, connections=LIST_CONNECTIONS)
    )
    command, env = _wrk_command("/", "flood.lua", None, SECONDS + 2, 10, FLOOD_CONNECTIONS)
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as flood:
        time.sleep(1)  # the flood is under way before the lists are measured
        flooded = _wrk(
            name + f", {FLOOD_CONNECTIONS} flooding)",
            bids_path,
            "get.lua",
            token,
            SECONDS,
            connections=LIST_CONNECTIONS,
        )
        out, _ = flood.communicate()
    flooded.healthz = quiet.healthz
    answers = re.search(r"^FLOOD(.*)$", out, re.MULTILINE)
    return quiet, flooded, answers.group(1).strip() if answers else "?"


MAIL_PORT = int(os.environ.get("BENCH_MAIL_PORT", "8766"))


class _Discard:
    """An SMTP server's handler that takes every message and keeps none."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


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
        # The flood's clients come through wrk on this machine, each with an address of
        # its own in X-Forwarded-For.
        "TRUSTED_PROXIES": "127.0.0.1",
        # Each registration mails its code, as in production, to a server here.
        "MAIL_BACKEND": "smtp",
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": str(MAIL_PORT),
        "MAIL_SECURITY": "none",
        "MAIL_FROM": "Toward <bench@bench.example>",
    }
    server = None
    mail = Controller(_Discard(), hostname="127.0.0.1", port=MAIL_PORT)
    mail.start()
    try:
        subprocess.run(
            [str(BIN / "alembic"), "upgrade", "head"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        seeded = _seed(env["DATABASE_URL"])
        trend_couples = seeded.trend_couples
        server = _serve(env)
        first, second = _partner("ana"), _partner("ben")
        couple = _call("POST", "/api/v1/couples", {"name": "bench"}, first)
        _call("POST", "/api/v1/couples/join", {"code": couple["invite"]["code"]}, second)
        bids_path = f"/api/v1/couples/{couple['id']}/bids"

        _wrk("warm-up", "/healthz", "get.lua", None, 3)
        baseline = _wrk("GET /healthz", "/healthz", "get.lua", None, SECONDS)
        baseline.healthz = baseline.rate
        around = Around(baseline)
        writes = around(_wrk("POST /couples/{id}/bids", bids_path, "post_bid.lua", first, SECONDS))
        batches = around(_push_batches(bids_path, first))
        reads = _read_trends(trend_couples, "", around)
        held = around(_read_trends_held(trend_couples))
        after_writes = around(_read_trends_after_writes(trend_couples))
        after_gzip = around(_read_trends_after_writes(trend_couples, gzip=True))
        after_other = around(_read_other_after_writes(trend_couples))
        feed, feed_note = _feed_year()
        around(feed)
        notices = _notice_delays()
        caseload = _read_caseload(seeded.caseload, "", around)
        quiet_lists, flooded_lists, flood_answers = _lists_under_a_flood(bids_path, first, around)
        # The same reads with the memories of computed trends and caseload readings off:
        # each request computes from the rollups, as the first read after a write does.
        _stop(server)
        server = _serve({**env, "TRENDS_CACHE_SIZE": "0", "CASELOAD_CACHE_SIZE": "0"})
        around.renew(warm=True)
        computed = _read_trends(trend_couples, ", computed", around)
        computed_caseload = _read_caseload(seeded.caseload, ", computed", around)
        _report(
            baseline,
            [
                writes,
                batches,
                *reads,
                held,
                after_writes,
                after_gzip,
                after_other,
                feed,
                *caseload,
                quiet_lists,
                flooded_lists,
                *computed,
                *computed_caseload,
            ],
            around,
        )
        print(
            f"\nbid lists during the flood ÷ alone: {flooded_lists.rate / quiet_lists.rate:.2f};"
            f" p99 {flooded_lists.p99_ms:.0f} ms against {quiet_lists.p99_ms:.0f} ms;"
            f" flood answers (status=count): {flood_answers}"
        )
        print(
            f"\ntrends, 30,000 bids ÷ 300 bids: {reads[0].rate / reads[1].rate:.2f}"
            f" (computed each time: {computed[0].rate / computed[1].rate:.2f})"
        )
        print(
            f"caseload, 200 per page ÷ 50 per page: {caseload[1].rate / caseload[0].rate:.2f}"
            f" (computed each time: {computed_caseload[1].rate / computed_caseload[0].rate:.2f});"
            f" seeded in {seeded.caseload_seconds:.1f} s ({seeded.caseload_bids} bids)"
        )
        print(
            f"caseload, a page of 50 of 200 costs {caseload[2].rate / caseload[0].rate:.2f}"
            f" times all of {SMALL_CASELOAD} (computed each time:"
            f" {computed_caseload[2].rate / computed_caseload[0].rate:.2f})"
        )
        _check_access_log(env["DATABASE_URL"], [*caseload, *computed_caseload])
        print(
            f"batches: {batches.rate * BATCH_ITEMS:.0f} bids stored per second, against"
            f" {writes.rate:.0f} single creates per second"
            f" ({batches.rate * BATCH_ITEMS / writes.rate:.1f} times; each against the"
            f" healthz around it,"
            f" {_per_healthz(batches) * BATCH_ITEMS / _per_healthz(writes):.1f} times)"
        )
        print(_after_writes_note(writes, after_writes, after_other))
        print(
            _after_writes_note(writes, after_gzip, after_other).replace(
                "trends after each write:", "the same, gzip:", 1
            )
        )
        print(f"{feed_note}\n{notices}")
        stored = _count(env["DATABASE_URL"], _COUPLE_BIDS, couple["id"])
        answered = writes.answered - writes.failures
        answered += (batches.answered - batches.failures) * BATCH_ITEMS
        # wrk does not count the requests still in flight when it stops.
        in_flight = CONNECTIONS + BATCH_CONNECTIONS * BATCH_ITEMS
        print(f"\nbids answered {answered}, stored {stored}")
        if not 0 <= stored - answered <= in_flight:
            raise SystemExit("the bids stored do not match the bids answered")
    finally:
        _stop(server)
        mail.stop()
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
