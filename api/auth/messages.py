"""The messages Toward mails: plain text, in English, with nothing in them that the
account's owner did not ask for or would not want to know."""

from email.message import EmailMessage
from email.utils import make_msgid

from api.core.settings import Settings


def _message(settings: Settings, to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    # The domain of the sender, not of this host: no machine name leaves in a header.
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rstrip(">").rsplit("@", 1)[-1])
    message.set_content(text)
    return message


def verification(settings: Settings, to: str, code: str) -> EmailMessage:
    # No display name: it is whatever the registration said, and the address is not
    # proven yet; the message must carry nobody's words to a stranger's inbox.
    return _message(
        settings,
        to,
        "Confirm your email address for Toward",
        "Hello,\n\n"
        "To confirm that this address is yours, enter this code in Toward:\n\n"
        f"    {code}\n\n"
        f"It works once, for {settings.verify_code_hours} hours. If you did not make an "
        "account on Toward, you can ignore this message.\n",
    )


def password_reset(settings: Settings, to: str, name: str, code: str) -> EmailMessage:
    return _message(
        settings,
        to,
        "Reset your Toward password",
        f"Hello {name},\n\n"
        "Someone asked to reset the password of your Toward account. To choose a new "
        "password, enter this code in Toward:\n\n"
        f"    {code}\n\n"
        f"It works once, for {settings.reset_code_minutes} minutes. Setting a new "
        "password signs you out everywhere. If you did not ask for this, you can ignore "
        "this message: your password stays as it is.\n",
    )


def password_changed(settings: Settings, to: str, name: str) -> EmailMessage:
    return _message(
        settings,
        to,
        "Your Toward password was changed",
        f"Hello {name},\n\n"
        "The password of your Toward account was just changed with a code sent to this "
        "address, and every device was signed out. If this was not you, reset your "
        "password again at once.\n",
    )
