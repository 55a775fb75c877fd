"""A real SMTP server in the test process (aiosmtpd), which the app under test mails
through as production mails through its server; tests read what it received."""

import asyncio
import email
import email.policy
import re
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

CODE = re.compile(r"\b[A-Z2-9]{5}(?:-[A-Z2-9]{5}){3}\b")


class Mailbox:
    """Every message the server accepted, by recipient. With `refusals`, the server
    answers the next so many messages with a temporary failure (451); it refuses the
    recipients in `unknown` for good."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []
        self.refusals = 0
        # Recipients refused for good (550), as a server refuses an unknown mailbox.
        self.unknown: set[str] = set()
        self.recipients_refused = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.unknown:
            with self._lock:
                self.recipients_refused += 1
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            if self.refusals > 0:
                self.refusals -= 1
                return "451 Try again later"
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            self._messages.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [message for message in self._messages if message["To"] == address]

    async def wait_for(self, address: str, count: int = 1, seconds: float = 10.0) -> EmailMessage:
        """The `count`-th message to `address`, once it has arrived."""
        for _ in range(int(seconds / 0.01)):
            received = self.to(address)
            if len(received) >= count:
                return received[count - 1]
            await asyncio.sleep(0.01)
        raise AssertionError(f"no message {count} to {address} within {seconds} s")


def code_in(message: EmailMessage) -> str:
    body = message.get_content()
    found = CODE.search(body)
    assert found is not None, body
    return found.group(0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


MAILBOX = Mailbox()


def serve() -> Iterator[int]:
    """Run the server for the session: its port."""
    port = free_port()
    controller = Controller(MAILBOX, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
