"""Outbound STARTTLS + AUTH against a local aiosmtpd; IMAP polling and its cursor on dovecot."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.orm import Session, sessionmaker

from channels.email.channel import EmailChannel
from channels.email.imap import ImapMailbox, ImapPoller
from channels.email.outbound import SendFailed
from channels.email.outbound import Smarthost as Client
from channels.email.rendering import compose
from profile_store.email import advance_imap_cursor, imap_cursor
from tests.e2e.email.servers import Dovecot, DovecotUnavailable, Smarthost
from tests.unit.email.conftest import FakeRasa, raw_mail


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _authenticator(*args: Any) -> AuthResult:
    login = args[-1]
    ok = isinstance(login, LoginPassword) and (login.login, login.password) == (b"shop", b"pw")
    return AuthResult(success=ok)


@pytest.fixture
def tls_smarthost(certificate: tuple[Path, Path]) -> Iterator[Smarthost]:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    host = Smarthost(
        controller_kwargs={
            "tls_context": server_tls,
            "require_starttls": True,
            "auth_required": True,
            "authenticator": _authenticator,
        }
    ).start()
    yield host
    host.stop()


def _mail() -> Any:
    return compose(
        shop_address="shop@rapport.test",
        shop_name="Shop",
        to="anne@example.com",
        subject="Re: hi",
        messages=[{"text": "Hello"}],
    )


async def test_sends_with_starttls_and_authentication(
    tls_smarthost: Smarthost, certificate: tuple[Path, Path]
) -> None:
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    client = Client("127.0.0.1", tls_smarthost.port, "shop", "pw", True, tls_context=trust)
    await client.send(_mail())
    assert len(await tls_smarthost.wait_for("anne@example.com")) == 1

    plain = Client("127.0.0.1", tls_smarthost.port, "shop", "pw", False, attempts=1, timeout_s=5)
    with pytest.raises(SendFailed):
        await plain.send(_mail())  # the smarthost demands STARTTLS before anything else


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    try:
        server = Dovecot().start()
    except (DovecotUnavailable, OSError) as exc:
        pytest.skip(f"IMAP tests need dovecot on loopback: {exc}")
    yield server
    server.stop()


async def test_imap_polling_resumes_after_a_restart(
    dovecot: Dovecot,
    make_channel: Callable[..., EmailChannel],
    fake_rasa: FakeRasa,
    smarthost: Smarthost,
    sessions: sessionmaker[Session],
) -> None:
    box = ImapMailbox("127.0.0.1", dovecot.port, dovecot.user, dovecot.password, use_ssl=False)
    box.mailbox = "INBOX"
    # A mailbox of its own per test run: the module-scoped dovecot is shared.
    first = ImapPoller(make_channel(), box, sessions, max_bytes=100_000)
    already = await first.poll_once()
    dovecot.append(raw_mail("one", message_id="<imap1@example.com>"))
    dovecot.append(raw_mail("two", message_id="<imap2@example.com>"))
    dovecot.append(raw_mail("x" * 200_000, message_id="<imap-big@example.com>"))
    assert await first.poll_once() == 3
    assert [m["message"] for m in fake_rasa.received] == ["one", "two"], "too big: skipped"
    assert already == 0

    restarted = ImapPoller(make_channel(), box, sessions, max_bytes=100_000)
    assert await restarted.poll_once() == 0, "the durable cursor: nothing read twice"
    dovecot.append(raw_mail("three", message_id="<imap3@example.com>"))
    assert await restarted.poll_once() == 1
    assert [m["message"] for m in fake_rasa.received] == ["one", "two", "three"]

    # UIDVALIDITY changed (mailbox rebuilt): everything is read again, nothing answered twice.
    with sessions.begin() as session:
        validity, last = imap_cursor(session, box.cursor_key) or (0, 0)
        advance_imap_cursor(session, box.cursor_key, validity + 1, last)
    assert await restarted.poll_once() == 4
    assert len(fake_rasa.received) == 3
    assert len(smarthost.to("anne@example.com")) == 3


async def test_imap_keeps_the_mail_when_rasa_is_down(
    dovecot: Dovecot,
    make_channel: Callable[..., EmailChannel],
    fake_rasa: FakeRasa,
    sessions: sessionmaker[Session],
) -> None:
    box = ImapMailbox("127.0.0.1", dovecot.port, dovecot.user, dovecot.password, use_ssl=False)
    poller = ImapPoller(make_channel(), box, sessions, max_bytes=100_000)
    await poller.poll_once()  # what earlier tests left in the shared mailbox
    fake_rasa.received.clear()
    fake_rasa.status = 503
    dovecot.append(raw_mail("later", sender="bob@example.com", message_id="<later@example.com>"))
    assert await poller.poll_once() == 0
    fake_rasa.status = 200
    assert await poller.poll_once() == 1
    assert [m["message"] for m in fake_rasa.received] == ["later", "later"]
