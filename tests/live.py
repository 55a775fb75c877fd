"""The app served by uvicorn in processes of its own, as `make run` serves it: for what
only a real server shows (streams, several workers, a stop signal)."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Send `sig` and wait for the process to end; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the server did not stop: {self.log.read_text()}") from None


_UVICORN = (
    sys.executable,
    "-m",
    "uvicorn",
    "api.main:app",
    "--host",
    "127.0.0.1",
    "--no-proxy-headers",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(database_url: str, log_dir: Path, **settings: str) -> Iterator[Server]:
    """A server of the app on a port of its own, with the environment's settings and
    `settings` (names as in the environment, e.g. EVENT_HEARTBEAT_SECONDS)."""
    port = _free_port()
    log = log_dir / f"server-{port}.log"
    environment = {**os.environ, "DATABASE_URL": database_url, **settings}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*_UVICORN, "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the server ended: {server.log.read_text()}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the server did not start: {server.log.read_text()}")


@dataclass
class Event:
    name: str
    data: dict[str, object]
    id: str | None


class EventReader:
    """Server-sent events read off an open stream, the comment lines kept apart."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines: AsyncIterator[str] = response.aiter_lines()
        self.comments: list[str] = []
        self.retry: int | None = None

    async def next(self, within: float = 15) -> Event | None:
        """The next event; None when the stream ends."""
        return await asyncio.wait_for(self._next(), within)

    async def _next(self) -> Event | None:
        fields: dict[str, str] = {}
        async for line in self._lines:
            if line == "":
                if "event" in fields or "data" in fields:
                    return Event(
                        fields.get("event", "message"),
                        json.loads(fields.get("data", "null")),
                        fields.get("id"),
                    )
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "retry":
                self.retry = int(value)
            else:
                fields[name] = value
        return None
