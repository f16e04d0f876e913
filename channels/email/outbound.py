"""Sending mail through the shop's smarthost (aiosmtplib: STARTTLS and authentication)."""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

log = logging.getLogger(__name__)


class SendFailed(Exception):
    """The smarthost did not take the mail after every attempt."""


@dataclass(frozen=True)
class Smarthost:
    host: str
    port: int = 587
    user: str = ""
    password: str = ""
    starttls: bool = True
    timeout_s: float = 30.0
    attempts: int = 3
    # Tests pass a context trusting their own certificate; production uses the system's CAs.
    tls_context: ssl.SSLContext | None = None

    async def send(self, mail: EmailMessage) -> None:
        """Hand one mail to the smarthost, retrying transient failures; raise SendFailed."""
        if not self.host:
            raise SendFailed("no smarthost configured (RAPPORT_SMTP_RELAY_HOST)")
        delay = 1.0
        last: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                await aiosmtplib.send(
                    mail,
                    hostname=self.host,
                    port=self.port,
                    username=self.user or None,
                    password=self.password or None,
                    # Port 465 is implicit TLS; anything else upgrades with STARTTLS if asked.
                    use_tls=self.port == 465,
                    start_tls=self.starttls if self.port != 465 else False,
                    tls_context=self.tls_context,
                    timeout=self.timeout_s,
                )
                return
            except aiosmtplib.SMTPResponseException as exc:
                last = exc
                if 500 <= exc.code < 600:  # permanent: retrying cannot help
                    break
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                last = exc
            log.warning("smarthost attempt %d failed for %s: %r", attempt, mail["To"], last)
            if attempt < self.attempts:
                await asyncio.sleep(delay)
                delay *= 3
        raise SendFailed(repr(last))
