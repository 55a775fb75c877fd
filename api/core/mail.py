"""Mail, sent after the request: a request that commits a code hands its message to
the worker's mailer, which sends it in the background through an SMTP server (in
development, to the log) and tries again when the server fails, so no request waits
for a mail server and none is slowed by one that is down."""

import asyncio
import logging
from email.message import EmailMessage
from typing import Annotated, Protocol

import aiosmtplib
from fastapi import Depends, Request

from api.core.settings import Settings

logger = logging.getLogger("toward.mail")


class Backend(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand the message over, or raise (the mailer tries again)."""


class LogBackend:
    """Development: the message in the log, code included, so `make run` needs no mail
    server. Production refuses it (api/core/settings.py)."""

    async def send(self, message: EmailMessage) -> None:
        logger.warning(
            "mail to %s: %s\n%s", message["To"], message["Subject"], message.get_content()
        )


class SmtpBackend:
    """One connection per message: codes are few, and a connection kept open would
    need keeping alive and mending."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def send(self, message: EmailMessage) -> None:
        settings = self._settings
        await aiosmtplib.send(
            message,
            hostname=settings.mail_host,
            port=settings.mail_port,
            use_tls=settings.mail_security == "tls",
            start_tls=settings.mail_security == "starttls",
            username=settings.mail_username or None,
            password=settings.mail_password or None,
            timeout=settings.mail_timeout_seconds,
        )


def backend_of(settings: Settings) -> Backend:
    return SmtpBackend(settings) if settings.mail_backend == "smtp" else LogBackend()


# Messages sent at once per worker: a slow server holds up this many, not the queue.
SENDERS = 4
# On shutdown, how long the queue may take to go out.
CLOSING_SECONDS = 5.0
# Between two tries of one message, at most this long.
MAX_RETRY_SECONDS = 600.0


class Mailer:
    def __init__(self, backend: Backend, settings: Settings) -> None:
        self._backend = backend
        self._attempts = settings.mail_attempts
        self._retry_seconds = settings.mail_retry_seconds
        self._queue: asyncio.Queue[EmailMessage] = asyncio.Queue(settings.mail_queue_limit)
        self._senders: list[asyncio.Task[None]] = []

    @classmethod
    def of(cls, settings: Settings) -> "Mailer":
        return cls(backend_of(settings), settings)

    def start(self) -> None:
        self._senders = [asyncio.create_task(self._send_each()) for _ in range(SENDERS)]

    def send_later(self, message: EmailMessage) -> None:
        """Queue the message; call it once what the message tells of has committed."""
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            # The user can ask for the code again; the request itself has succeeded.
            logger.error("mail queue full: dropped a message to %s", message["To"])

    async def _send_each(self) -> None:
        while True:
            message = await self._queue.get()
            try:
                await self._deliver(message)
            finally:
                self._queue.task_done()

    async def _deliver(self, message: EmailMessage) -> None:
        for attempt in range(self._attempts):
            try:
                await self._backend.send(message)
                return
            except Exception as error:  # any failure of the server or the network
                if attempt + 1 == self._attempts:
                    logger.error("mail to %s failed for good: %r", message["To"], error)
                    return
                logger.warning("mail to %s failed, will retry: %r", message["To"], error)
                await asyncio.sleep(min(self._retry_seconds * 2**attempt, MAX_RETRY_SECONDS))

    async def close(self) -> None:
        """Send what is queued, for at most `CLOSING_SECONDS`, then stop."""
        try:
            await asyncio.wait_for(self._queue.join(), CLOSING_SECONDS)
        except TimeoutError:
            logger.warning("stopped with %d messages unsent", self._queue.qsize())
        for sender in self._senders:
            sender.cancel()
        await asyncio.gather(*self._senders, return_exceptions=True)


def mailer(request: Request) -> Mailer:
    found: Mailer = request.app.state.mailer
    return found


MailerDep = Annotated[Mailer, Depends(mailer)]
