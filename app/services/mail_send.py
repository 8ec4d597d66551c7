"""Sending one email through Flask-Mail within MAIL_TIMEOUT_S, for alerts and the daily report."""
import socket
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app
from flask_mail import Message

from app.extensions import mail


def send_mail(message: Message) -> None:
    """Send the message; a stuck SMTP server raises after MAIL_TIMEOUT_S instead of holding a worker.

    An address with non-ASCII before the @ (RFC 6531) needs SMTPUTF8, which Flask-Mail cannot ask
    for: such a message goes through smtplib's send_message, which asks for it and raises
    smtplib.SMTPNotSupportedError when the server does not offer it."""
    with socket_timeout(current_app.config["MAIL_TIMEOUT_S"]):
        if needs_smtputf8(message.send_to):
            send_international(message)
        else:
            mail.send(message)


def needs_smtputf8(addresses) -> bool:
    """Whether any address has a non-ASCII local part (a non-ASCII domain alone goes as IDNA)."""
    return any(not address.rpartition("@")[0].isascii() for address in addresses)


def has_line_break(address: str) -> bool:
    """An address with CR or LF could smuggle in a header: never sendable, so refused at once."""
    return "\r" in address or "\n" in address


def send_international(message: Message) -> None:
    """Send the message over Flask-Mail's connection with SMTPUTF8 and UTF-8 headers."""
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = message.sender
    email["To"] = ", ".join(message.recipients)
    email["Date"] = formatdate(localtime=True)
    email["Message-ID"] = message.msgId
    email.set_content(message.body or "")
    if message.html:
        email.add_alternative(message.html, subtype="html")
    with mail.connect() as connection:
        if connection.host is not None:  # None when MAIL_SUPPRESS_SEND is on
            connection.host.send_message(email)


@contextmanager
def socket_timeout(seconds: float):
    """Bound SMTP connects and reads: Flask-Mail 0.10 gives smtplib no timeout of its own."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)
