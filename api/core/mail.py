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


# Messages sent at once per worker. A message that failed waits for its next try off
# the queue, holding no sender: one slow or refusing server delays no other message.
SENDERS = 4
# On shutdown, how long the queue may take to go out.
CLOSING_SECONDS = 5.0
# Between two tries of one message, at most this long.
MAX_RETRY_SECONDS = 600.0


def permanent(error: Exception) -> bool:
    """A refusal that no later try will change (an SMTP 5xx: no such mailbox, a message
    refused); anything else (a 4xx, a network failure, a timeout) is tried again."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(refused.code >= 500 for refused in error.recipients)
    return isinstance(error, aiosmtplib.SMTPResponseException) and error.code >= 500


def _named(message: EmailMessage) -> str:
    # The logs name a message by its id, never by its address: an address in a log
    # outlives the account it belongs to.
    return str(message["Message-ID"])


class Mailer:
    def __init__(self, backend: Backend, settings: Settings) -> None:
        self._backend = backend
        self._attempts = settings.mail_attempts
        self._retry_seconds = settings.mail_retry_seconds
        self._queue: asyncio.Queue[tuple[EmailMessage, int]] = asyncio.Queue(
            settings.mail_queue_limit
        )
        self._senders: list[asyncio.Task[None]] = []
        self._waiting: set[asyncio.TimerHandle] = set()

    @classmethod
    def of(cls, settings: Settings) -> "Mailer":
        return cls(backend_of(settings), settings)

    def start(self) -> None:
        self._senders = [asyncio.create_task(self._send_each()) for _ in range(SENDERS)]

    def send_later(self, message: EmailMessage) -> None:
        """Queue the message; call it once what the message tells of has committed."""
        self._put(message, 0)

    def _put(self, message: EmailMessage, attempt: int) -> None:
        try:
            self._queue.put_nowait((message, attempt))
        except asyncio.QueueFull:
            # The user can ask for the code again; the request itself has succeeded.
            logger.error("mail queue full: dropped message %s", _named(message))

    async def _send_each(self) -> None:
        while True:
            message, attempt = await self._queue.get()
            try:
                await self._try(message, attempt)
            finally:
                self._queue.task_done()

    async def _try(self, message: EmailMessage, attempt: int) -> None:
        try:
            await self._backend.send(message)
        except Exception as error:  # any failure of the server or the network
            if permanent(error) or attempt + 1 >= self._attempts:
                logger.error("mail %s failed for good: %r", _named(message), error)
                return
            logger.warning("mail %s failed, will retry: %r", _named(message), error)
            delay = min(self._retry_seconds * 2**attempt, MAX_RETRY_SECONDS)
            handle = asyncio.get_running_loop().call_later(delay, self._retry, message, attempt + 1)
            self._waiting.add(handle)

    def _retry(self, message: EmailMessage, attempt: int) -> None:
        now = asyncio.get_running_loop().time()
        self._waiting = {handle for handle in self._waiting if handle.when() > now}
        self._put(message, attempt)

    async def close(self) -> None:
        """Send what is queued, for at most `CLOSING_SECONDS`, then stop; messages
        waiting for a retry are dropped."""
        try:
            await asyncio.wait_for(self._queue.join(), CLOSING_SECONDS)
        except TimeoutError:
            logger.warning("stopped with %d messages unsent", self._queue.qsize())
        if self._waiting:
            logger.warning("stopped with %d messages waiting to be tried again", len(self._waiting))
        for handle in self._waiting:
            handle.cancel()
        for sender in self._senders:
            sender.cancel()
        await asyncio.gather(*self._senders, return_exceptions=True)


def mailer(request: Request) -> Mailer:
    found: Mailer = request.app.state.mailer
    return found


MailerDep = Annotated[Mailer, Depends(mailer)]
