"""Local stand-ins for the mail servers around the gateway: a smarthost (aiosmtpd) and dovecot.

Used by the email channel's unit and end-to-end tests alike.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Smarthost:
    """An SMTP server on loopback that keeps every mail it is given (runs in its own thread)."""

    port: int = field(default_factory=free_port)
    received: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # the bytes as sent, one per mail
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    controller_kwargs: dict[str, Any] = field(default_factory=dict)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(mail, EmailMessage)
        with self._lock:
            self.received.append(mail)
            self.raw.append(raw)
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK"

    def start(self) -> Smarthost:
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, **self.controller_kwargs
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.received if address in str(m["To"])]

    def raw_to(self, address: str) -> list[bytes]:
        with self._lock:
            return [
                r for r, m in zip(self.raw, self.received, strict=True) if address in str(m["To"])
            ]

    async def wait_for(
        self, address: str, count: int = 1, timeout_s: float = 60.0
    ) -> list[EmailMessage]:
        """The mails sent to `address` once there are `count` of them (or all after timeout)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            got = self.to(address)
            if len(got) >= count:
                return got
            await asyncio.sleep(0.1)
        return self.to(address)


def plain_body(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    return "" if part is None else str(part.get_content())  # type: ignore[attr-defined]


class DovecotUnavailable(RuntimeError):
    pass


@dataclass
class Dovecot:
    """An unprivileged dovecot IMAP server on loopback, configured in a temp dir; one user."""

    user: str = "shop@rapport.test"
    password: str = "imap-test-secret"
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="rapport-dovecot-")))
    process: subprocess.Popen[bytes] | None = None

    def _users(self) -> tuple[str, str, int, int]:
        """(internal user, login user, mail uid, mail gid): ourselves, or dovecot's when root."""
        me = pwd.getpwuid(os.getuid())
        if os.getuid() != 0:
            return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
        try:
            internal = pwd.getpwnam("dovecot")
            pwd.getpwnam("dovenull")
        except KeyError as exc:
            raise DovecotUnavailable("running as root without dovecot's system users") from exc
        # Dovecot refuses to give mail access as uid 0; its own user owns the temp maildir.
        return "dovecot", "dovenull", internal.pw_uid, internal.pw_gid

    def start(self, timeout_s: float = 10.0) -> Dovecot:
        if not Path(DOVECOT).exists():
            raise DovecotUnavailable(
                "dovecot is not installed (Debian: apt-get install -y dovecot-imapd)"
            )
        internal, login, uid, gid = self._users()
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chown(self.root / "mail", uid, gid)
        # Dovecot's auth process runs as its internal user and must read the test passwd file.
        self.root.chmod(0o755)
        (self.root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        (self.root / "passwd").chmod(0o644)
        conf = self.root / "dovecot.conf"
        conf.write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 0
mail_location = maildir:{self.root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={self.root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("wb"),
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DovecotUnavailable(
                    f"dovecot exited with {self.process.returncode}: "
                    + (self.root / "stderr.log").read_text()[-2000:]
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise DovecotUnavailable("dovecot did not listen in time")

    def append(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """Deliver a mail into the mailbox, as the MTA would."""
        client = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            client.login(self.user, self.password)
            typ, data = client.append(mailbox, None, None, raw)
            assert typ == "OK", data
        finally:
            client.logout()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)
