"""Mail goes out after the request, through the test's SMTP server, and is tried again
while the server fails; a request never waits for it."""

import asyncio
import logging
import time
from email.message import EmailMessage

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


async def test_a_message_is_given_up_after_its_attempts(settings: Settings, smtp_port, caplog):
    mailer = Mailer.of(settings.model_copy(update={"mail_attempts": 3}))
    mailer.start()
    MAILBOX.refusals = 10
    try:
        with caplog.at_level(logging.WARNING, logger="toward.mail"):
            email = new_email()
            mailer.send_later(_message(email))
            await mailer.close()
    finally:
        left, MAILBOX.refusals = MAILBOX.refusals, 0
    assert left == 7  # three attempts, no more
    assert MAILBOX.to(email) == []
    assert "failed for good" in caplog.text


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
    email = new_email()
    with caplog.at_level(logging.ERROR, logger="toward.mail"):
        mailer.send_later(_message(new_email()))
        mailer.send_later(_message(email))  # no sender started: the queue is full
    assert f"dropped a message to {email}" in caplog.text


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
