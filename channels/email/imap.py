"""Polling an existing mailbox over IMAP (aioimaplib), with a durable cursor in the profile store.

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
import logging
import re
import ssl
from dataclasses import dataclass

import aioimaplib
from sqlalchemy.orm import Session, sessionmaker

from channels.email.channel import EmailChannel, Outcome
from profile_store.email import advance_imap_cursor, imap_cursor

log = logging.getLogger(__name__)

_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
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

    async def _connect(self) -> aioimaplib.IMAP4:
        box = self.mailbox
        client: aioimaplib.IMAP4
        if box.use_ssl:
            client = aioimaplib.IMAP4_SSL(
                host=box.host,
                port=box.port,
                timeout=box.timeout_s,
                ssl_context=box.ssl_context or ssl.create_default_context(),
            )
        else:
            client = aioimaplib.IMAP4(host=box.host, port=box.port, timeout=box.timeout_s)
        await client.wait_hello_from_server()
        response = await client.login(box.user, box.password)
        if response.result != "OK":
            raise ImapError(f"IMAP login refused for {box.user}: {response.lines[-1:]}")
        return client

    async def poll_once(self) -> int:
        """Process every mail newer than the cursor; the number of mails handled."""
        client = await self._connect()
        try:
            return await self._poll(client)
        finally:
            with contextlib.suppress(
                aioimaplib.Abort, aioimaplib.CommandTimeout, OSError, TimeoutError
            ):
                await client.logout()

    async def _poll(self, client: aioimaplib.IMAP4) -> int:
        box = self.mailbox
        selected = await client.select(box.mailbox)
        if selected.result != "OK":
            raise ImapError(f"cannot select {box.mailbox}: {selected.lines[-1:]}")
        uidvalidity = _uidvalidity(selected.lines)
        cursor = await asyncio.to_thread(self._cursor)
        last_uid = 0
        if cursor is not None and cursor[0] == uidvalidity:
            last_uid = cursor[1]
        elif cursor is not None:
            log.warning("IMAP UIDVALIDITY of %s changed: reading it again", box.cursor_key)
        sizes = await self._sizes(client, last_uid)
        handled = 0
        for uid, size in sorted(sizes.items()):
            if size > self.max_bytes:
                log.warning(
                    "IMAP mail UID %d is %d bytes (max %d): skipped", uid, size, self.max_bytes
                )
                outcome = Outcome.IGNORED
            else:
                raw = await self._fetch(client, uid)
                outcome = Outcome.MALFORMED if raw is None else await self.channel.receive(raw)
            if outcome is Outcome.RETRY:
                # Rasa is down: stop here so this mail (and the ones after it) come next round.
                log.warning("IMAP mail UID %d kept for the next poll (assistant unavailable)", uid)
                break
            await asyncio.to_thread(self._advance, uidvalidity, uid)
            handled += 1
        return handled

    async def _sizes(self, client: aioimaplib.IMAP4, last_uid: int) -> dict[int, int]:
        response = await client.uid("fetch", f"{last_uid + 1}:*", "(UID RFC822.SIZE)")
        if response.result != "OK":
            raise ImapError(f"UID FETCH failed: {response.lines[-1:]}")
        sizes: dict[int, int] = {}
        for line in response.lines:
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

    async def _fetch(self, client: aioimaplib.IMAP4, uid: int) -> bytes | None:
        # BODY.PEEK leaves the \Seen flag alone: the mailbox may be shared with people.
        response = await client.uid("fetch", str(uid), "(UID BODY.PEEK[])")
        if response.result != "OK":
            log.warning("IMAP UID %d could not be fetched: %s", uid, response.lines[-1:])
            return None
        for line in response.lines:
            if isinstance(line, bytearray):
                return bytes(line)
        return None

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


def _uidvalidity(lines: list[bytes | bytearray]) -> int:
    for line in lines:
        found = _UIDVALIDITY.search(bytes(line))
        if found:
            return int(found.group(1))
    raise ImapError("the server did not give the mailbox's UIDVALIDITY")
