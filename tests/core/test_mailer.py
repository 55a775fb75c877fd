"""Mail goes out after the request, through the test's SMTP server, and is tried again
while the server fails; a request never waits for it."""

import asyncio
import logging
import time
from email.message import EmailMessage
from email.utils import make_msgid

from aiosmtpd.controller import Controller

from api.core.mail import Mailer
from api.core.settings import Settings
from api.main import create_app
from tests.auth.helpers import new_email
from tests.factories import PASSWORD
from tests.http import client_from
from tests.mail import MAILBOX, Mailbox, code_in, free_port

REGISTER = "/api/v1/auth/register"


def _registration(email: str) -> dict[str, str]:
    return {"email": email, "password": PASSWORD, "display_name": "Kim"}


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Toward <no-reply@example.org>"
    message["To"] = to
    message["Subject"] = "A test"
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content("Hello")
    return message


async def test_a_message_refused_for_a_while_is_sent_once_it_is_taken(client):
    MAILBOX.refusals = 2
    email = new_email()
    assert (await client.post(REGISTER, json=_registration(email))).status_code == 201
    await MAILBOX.wait_for(email)
    assert MAILBOX.refusals == 0
    await asyncio.sleep(0.2)
    assert len(MAILBOX.to(email)) == 1


async def test_a_request_does_not_wait_for_a_mail_server_that_is_down(settings: Settings):
    """The server is down when the account is made; the code arrives once it is up."""
    port = free_port()
    app = create_app(settings.model_copy(update={"mail_port": port}))
    mailbox = Mailbox()
    async with app.router.lifespan_context(app), client_from(app) as client:
        email = new_email()
        started = time.perf_counter()
        created = await client.post(REGISTER, json=_registration(email))
        assert created.status_code == 201, created.text
        answered_in = time.perf_counter() - started
        late = Controller(mailbox, hostname="127.0.0.1", port=port)
        late.start()
        try:
            message = await mailbox.wait_for(email)
        finally:
            late.stop()
    assert code_in(message)
    # A generous bound, far below the retries' time: the request did not wait for them.
    assert answered_in < settings.mail_timeout_seconds


async def _logged(caplog, text: str, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if text in caplog.text:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{text!r} not logged within {seconds} s")


async def test_a_message_is_given_up_after_its_attempts(settings: Settings, caplog):
    mailer = Mailer.of(settings.model_copy(update={"mail_attempts": 3}))
    mailer.start()
    MAILBOX.refusals = 10
    try:
        with caplog.at_level(logging.WARNING, logger="toward.mail"):
            email = new_email()
            message = _message(email)
            mailer.send_later(message)
            await _logged(caplog, f"mail {message['Message-ID']} failed for good")
            await mailer.close()
    finally:
        left, MAILBOX.refusals = MAILBOX.refusals, 0
    assert left == 7  # three attempts, no more
    assert MAILBOX.to(email) == []
    # The logs name the message, never its address.
    assert email not in caplog.text


async def test_a_mailbox_refused_for_good_is_not_tried_again(settings: Settings, caplog):
    mailer = Mailer.of(settings)
    mailer.start()
    email = new_email()
    MAILBOX.unknown.add(email)
    refused_before = MAILBOX.recipients_refused
    with caplog.at_level(logging.WARNING, logger="toward.mail"):
        message = _message(email)
        mailer.send_later(message)
        await _logged(caplog, f"mail {message['Message-ID']} failed for good")
        await asyncio.sleep(0.3)
        await mailer.close()
    assert MAILBOX.recipients_refused == refused_before + 1
    assert "will retry" not in caplog.text


async def test_messages_waiting_for_a_retry_hold_up_no_other(settings: Settings):
    """More failing messages than senders, each to be tried again only much later: a
    message queued after them goes out at once."""
    mailer = Mailer.of(settings.model_copy(update={"mail_retry_seconds": 60.0}))
    mailer.start()
    MAILBOX.refusals = 8
    try:
        for _ in range(8):
            mailer.send_later(_message(new_email()))
        for _ in range(500):
            if MAILBOX.refusals == 0:
                break
            await asyncio.sleep(0.01)
        email = new_email()
        mailer.send_later(_message(email))
        await MAILBOX.wait_for(email, seconds=5.0)
    finally:
        MAILBOX.refusals = 0
        await mailer.close()


async def test_closing_sends_what_is_queued(settings: Settings):
    mailer = Mailer.of(settings)
    mailer.start()
    addresses = [new_email() for _ in range(10)]
    for address in addresses:
        mailer.send_later(_message(address))
    await mailer.close()
    assert all(len(MAILBOX.to(address)) == 1 for address in addresses)


async def test_a_full_queue_drops_the_message_and_says_so(settings: Settings, caplog):
    mailer = Mailer.of(settings.model_copy(update={"mail_queue_limit": 1}))
    with caplog.at_level(logging.ERROR, logger="toward.mail"):
        mailer.send_later(_message(new_email()))
        mailer.send_later(_message(new_email()))  # no sender started: the queue is full
    assert "mail queue full: dropped message" in caplog.text


async def test_development_writes_each_message_to_the_log(settings: Settings, caplog):
    """`make run` needs no mail server: the code is in the log."""
    mailer = Mailer.of(settings.model_copy(update={"mail_backend": "log"}))
    mailer.start()
    email = new_email()
    with caplog.at_level(logging.WARNING, logger="toward.mail"):
        mailer.send_later(_message(email))
        await mailer.close()
    assert f"mail to {email}: A test" in caplog.text
    assert "Hello" in caplog.text
    assert MAILBOX.to(email) == []
