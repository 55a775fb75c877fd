"""Password hashing: Argon2id in worker threads, a bounded number at a time.

Each hash takes `password_hash_memory_kib` of memory and a core or more for tens of
milliseconds, so a flood of registrations or logins must neither queue without end nor
hold anything another request needs. A request takes a place (`Passwords.place`)
before anything else, or is refused at once (503 with `Retry-After`); it hashes in
that place outside any transaction or lock, in a thread that runs below the requests
(`tests/auth/test_password_flood.py`: during a flood, bid lists took a median of 8 to 9 ms
with that, 14 to 20 ms without)."""

import asyncio
import contextvars
import functools
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from types import TracebackType
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

from api.core.errors import busy
from api.core.settings import Settings

T = TypeVar("T")

_DUMMY_PASSWORD = "not-a-real-password-0000"
# How much lower than the rest of the process hashing runs: a flood of hashes takes the
# CPU that requests leave over, not the CPU they need.
HASH_NICENESS = 10


def _run_below_requests() -> None:
    # On Linux a thread has a niceness of its own, and the threads Argon2 starts for its
    # lanes inherit it. Elsewhere the call would renice the whole process: not made.
    # Relative to the worker's own: a worker started under `nice` keeps its hashes below it.
    if sys.platform == "linux":
        thread = threading.get_native_id()
        with suppress(OSError):
            below = os.getpriority(os.PRIO_PROCESS, thread) + HASH_NICENESS
            os.setpriority(os.PRIO_PROCESS, thread, min(19, below))


class Passwords:
    def __init__(self, time_cost: int, memory_kib: int, in_flight: int) -> None:
        self.hasher = PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib),))
        self.limit = in_flight
        self.taken = 0
        # Threads of their own, no more than the places: hashing never waits for, nor
        # holds, the shared pool, and never runs more than `in_flight` at once.
        self._threads = ThreadPoolExecutor(
            in_flight, thread_name_prefix="password-hash", initializer=_run_below_requests
        )
        self._dummy_hash: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> "Passwords":
        return cls(
            settings.password_hash_time_cost,
            settings.password_hash_memory_kib,
            settings.password_hashes_in_flight,
        )

    def place(self) -> "Place":
        """One of the `in_flight` places to hash in, for a `with` block; a 503 problem
        when all are taken."""
        if self.taken >= self.limit:
            raise busy("Too many password checks are running; try again in a second.")
        self.taken += 1
        return Place(self)

    async def run(self, work: Callable[..., T], *arguments: str) -> T:
        call = functools.partial(contextvars.copy_context().run, work, *arguments)
        return await asyncio.get_running_loop().run_in_executor(self._threads, call)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def dummy_hash(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self.run(self.hasher.hash, _DUMMY_PASSWORD)
        return self._dummy_hash


class Place:
    """A place held by one request: it hashes one thing at a time."""

    def __init__(self, passwords: Passwords) -> None:
        self.passwords = passwords

    def __enter__(self) -> "Place":
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.passwords.taken -= 1

    async def hash(self, password: str) -> str:
        return await self.passwords.run(self.passwords.hasher.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """Whether the password is right. An unknown account is checked against a dummy
        hash, so that it takes as long as a real check. A stored value that is no hash
        (`!`, the stand-in for an erased partner: api/users/erasure.py) matches nothing."""
        if password_hash is None:
            dummy = await self.passwords.dummy_hash()
            await self.passwords.run(self.passwords.hasher.verify, password, dummy)
            return False
        try:
            return await self.passwords.run(self.passwords.hasher.verify, password, password_hash)
        except UnknownHashError:
            return False


async def passwords(request: Request) -> Passwords:
    return request.app.state.passwords  # type: ignore[no-any-return]


PasswordsDep = Annotated[Passwords, Depends(passwords)]


def hash_password(password: str, settings: Settings) -> str:
    """For tools that write accounts straight to the database (seeding, demos)."""
    return Passwords.of(settings).hasher.hash(password)
