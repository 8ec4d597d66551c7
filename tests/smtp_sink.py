"""A real SMTP server (aiosmtpd) on a free local port that keeps every message it accepts."""
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from tests.waiting import free_port


class SmtpSink:
    """Start, stop and restart an SMTP server on one port; `messages` holds (recipients, email).

    With smtputf8=True it offers SMTPUTF8 (RFC 6531), as Postfix and the big providers do."""

    def __init__(self, port: int | None = None, smtputf8: bool = False):
        self.port = port or free_port()
        self.smtputf8 = smtputf8
        self.messages = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"

    def start(self) -> "SmtpSink":
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                     enable_SMTPUTF8=self.smtputf8)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def parts(message) -> tuple[str, str]:
    """The plain-text and HTML bodies of a received email."""
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())
