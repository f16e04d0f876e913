"""Polling an existing mailbox over IMAP, with a durable cursor in the profile store.

The standard library's imaplib does the protocol, in a worker thread: a poll is a handful of
commands every few seconds, and it keeps the project free of a GPL-only dependency.

The cursor is (UIDVALIDITY, last UID processed): UIDs only grow while UIDVALIDITY is unchanged
(RFC 3501 §2.3.1.1), so after a restart polling resumes after the last mail processed. The
cursor advances one mail at a time, after that mail was answered or deliberately ignored; a
crash in between re-reads that one mail, and its Message-ID (durably deduped by the
conversation) keeps it from being answered twice. If UIDVALIDITY changes the mailbox is read
again from the start, with the same protection.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from channels.email.channel import EmailChannel, Outcome
from profile_store.email import advance_imap_cursor, imap_cursor

log = logging.getLogger(__name__)

_FETCH_SIZE = re.compile(rb"UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+)")


class ImapError(Exception):
    pass


@dataclass
class ImapMailbox:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    use_ssl: bool = True
    timeout_s: float = 30.0
    ssl_context: ssl.SSLContext | None = None

    @property
    def cursor_key(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.mailbox}"[:500]


class ImapPoller:
    """Reads new mail in a mailbox and hands each one to the channel, in UID order."""

    def __init__(
        self,
        channel: EmailChannel,
        mailbox: ImapMailbox,
        sm: sessionmaker[Session],
        max_bytes: int,
    ) -> None:
        self.channel = channel
        self.mailbox = mailbox
        self.sessionmaker = sm
        self.max_bytes = max_bytes

    def _connect(self) -> imaplib.IMAP4:
        box = self.mailbox
        client: imaplib.IMAP4
        if box.use_ssl:
            client = imaplib.IMAP4_SSL(
                box.host,
                box.port,
                ssl_context=box.ssl_context or ssl.create_default_context(),
                timeout=box.timeout_s,
            )
        else:
            client = imaplib.IMAP4(box.host, box.port, timeout=box.timeout_s)
        try:
            client.login(box.user, box.password)
        except imaplib.IMAP4.error as exc:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                client.logout()
            raise ImapError(f"IMAP login refused for {box.user}: {exc}") from exc
        return client

    async def poll_once(self) -> int:
        """Process every mail newer than the cursor; the number of mails handled."""
        client = await asyncio.to_thread(self._connect)
        try:
            return await self._poll(client)
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError, TimeoutError):
                await asyncio.to_thread(client.logout)

    async def _poll(self, client: imaplib.IMAP4) -> int:
        box = self.mailbox
        uidvalidity = await asyncio.to_thread(_select, client, box.mailbox)
        cursor = await asyncio.to_thread(self._cursor)
        last_uid = 0
        if cursor is not None and cursor[0] == uidvalidity:
            last_uid = cursor[1]
        elif cursor is not None:
            log.warning("IMAP UIDVALIDITY of %s changed: reading it again", box.cursor_key)
        sizes = await asyncio.to_thread(_sizes, client, last_uid)
        handled = 0
        for uid, size in sorted(sizes.items()):
            if size > self.max_bytes:
                log.warning(
                    "IMAP mail UID %d is %d bytes (max %d): skipped", uid, size, self.max_bytes
                )
                outcome = Outcome.IGNORED
            else:
                raw = await asyncio.to_thread(_fetch, client, uid)
                outcome = Outcome.MALFORMED if raw is None else await self.channel.receive(raw)
            if outcome is Outcome.RETRY:
                # Rasa is down: stop here so this mail (and the ones after it) come next round.
                log.warning("IMAP mail UID %d kept for the next poll (assistant unavailable)", uid)
                break
            await asyncio.to_thread(self._advance, uidvalidity, uid)
            handled += 1
        return handled

    def _cursor(self) -> tuple[int, int] | None:
        with self.sessionmaker() as session:
            return imap_cursor(session, self.mailbox.cursor_key)

    def _advance(self, uidvalidity: int, uid: int) -> None:
        with self.sessionmaker.begin() as session:
            advance_imap_cursor(session, self.mailbox.cursor_key, uidvalidity, uid)

    async def run(self, interval_s: float) -> None:
        """Poll forever; a failed round is logged and retried at the next interval."""
        while True:
            try:
                # A server that stops answering mid-command must not stall polling for good.
                handled = await asyncio.wait_for(self.poll_once(), timeout=max(300.0, interval_s))
                if handled:
                    log.info("IMAP %s: %d mail(s) handled", self.mailbox.cursor_key, handled)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the server may be down for a while: keep polling
                log.warning("IMAP poll of %s failed: %r", self.mailbox.cursor_key, exc)
            await asyncio.sleep(interval_s)


def _select(client: imaplib.IMAP4, mailbox: str) -> int:
    """Select the mailbox; its UIDVALIDITY."""
    typ, data = client.select('"' + mailbox.replace('"', r"\"") + '"')
    if typ != "OK":
        raise ImapError(f"cannot select {mailbox}: {data[-1:]}")
    typ, values = client.response("UIDVALIDITY")
    for value in values or []:
        if value and bytes(value).strip().isdigit():
            return int(bytes(value).strip())
    raise ImapError("the server did not give the mailbox's UIDVALIDITY")


def _sizes(client: imaplib.IMAP4, last_uid: int) -> dict[int, int]:
    typ, data = client.uid("FETCH", f"{last_uid + 1}:*", "(UID RFC822.SIZE)")
    if typ != "OK":
        raise ImapError(f"UID FETCH failed: {data[-1:]}")
    sizes: dict[int, int] = {}
    for line in data:
        if isinstance(line, tuple):
            line = line[0]
        if not isinstance(line, bytes | bytearray):
            continue
        found = _FETCH_SIZE.search(bytes(line))
        if not found:
            continue
        if found.group(1):
            uid, size = int(found.group(1)), int(found.group(2))
        else:
            size, uid = int(found.group(3)), int(found.group(4))
        # "n:*" always matches the highest UID, even when it is below n.
        if uid > last_uid:
            sizes[uid] = size
    return sizes


def _fetch(client: imaplib.IMAP4, uid: int) -> bytes | None:
    # BODY.PEEK leaves the \Seen flag alone: the mailbox may be shared with people.
    typ, data = client.uid("FETCH", str(uid), "(UID BODY.PEEK[])")
    if typ != "OK":
        log.warning("IMAP UID %d could not be fetched: %s", uid, data[-1:])
        return None
    for part in data:
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
            return part[1]
    return None
