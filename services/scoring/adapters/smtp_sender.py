"""Hands digests and alerts to an SMTP server for the tenant's data stewards (stdlib smtplib, run in
a worker thread so the event loop never waits on the network)."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage

from services.scoring.ports.notifications import DeliveryFailed

TIMEOUT_SEC = 15.0


class SmtpMailSender:
    """See `MailSender`. STARTTLS when the server offers it and `starttls` is set."""

    def __init__(self, host: str, port: int, sender: str, *, starttls: bool = False) -> None:
        self._host, self._port, self._sender, self._starttls = host, port, sender, starttls

    async def send(self, recipients: Sequence[str], subject: str, text: str) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
        message.set_content(text)
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self._host, self._port, timeout=TIMEOUT_SEC) as smtp:
                if self._starttls:
                    smtp.starttls()
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(type(exc).__name__) from exc
