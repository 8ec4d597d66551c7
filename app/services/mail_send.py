"""Sending one email through Flask-Mail within MAIL_TIMEOUT_S, for alerts and the daily report."""
import socket
from contextlib import contextmanager

from flask import current_app
from flask_mail import Message

from app.extensions import mail


def send_mail(message: Message) -> None:
    """Send the message; a stuck SMTP server raises after MAIL_TIMEOUT_S instead of holding a worker."""
    with socket_timeout(current_app.config["MAIL_TIMEOUT_S"]):
        mail.send(message)


@contextmanager
def socket_timeout(seconds: float):
    """Bound SMTP connects and reads: Flask-Mail 0.10 gives smtplib no timeout of its own."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)
