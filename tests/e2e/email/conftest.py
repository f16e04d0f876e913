"""The real stack with email on: SMTP listener on loopback, IMAP polling of a local dovecot,
and a local aiosmtpd smarthost that receives the bot's answers."""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Iterator

import pytest

from rapport.stack import Stack, free_port
from tests.e2e.conftest import running_stack
from tests.e2e.email.servers import Dovecot, DovecotUnavailable, Smarthost

SHOP = "shop@rapport.test"


@pytest.fixture(scope="session")
def smarthost() -> Iterator[Smarthost]:
    host = Smarthost().start()
    yield host
    host.stop()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot | None]:
    """A dovecot on loopback, or None (the IMAP tests then skip, saying why)."""
    try:
        server = Dovecot(user=SHOP).start()
    except (DovecotUnavailable, OSError) as exc:
        print(f"dovecot unavailable, IMAP tests will be skipped: {exc}")
        yield None
        return
    yield server
    server.stop()


@pytest.fixture(scope="session")
def email_stack(smarthost: Smarthost, dovecot: Dovecot | None) -> Iterator[Stack]:
    env = {
        "RAPPORT_EMAIL_ADDRESS": SHOP,
        "RAPPORT_SMTP_LISTEN_HOST": "127.0.0.1",
        "RAPPORT_SMTP_LISTEN_PORT": str(free_port()),
        "RAPPORT_SMTP_RELAY_HOST": "127.0.0.1",
        "RAPPORT_SMTP_RELAY_PORT": str(smarthost.port),
        "RAPPORT_SMTP_RELAY_STARTTLS": "false",
    }
    if dovecot is not None:
        env.update(
            RAPPORT_IMAP_HOST="127.0.0.1",
            RAPPORT_IMAP_PORT=str(dovecot.port),
            RAPPORT_IMAP_USER=dovecot.user,
            RAPPORT_IMAP_PASSWORD=dovecot.password,
            RAPPORT_IMAP_SSL="false",
            RAPPORT_IMAP_POLL_S="1",
        )
    with running_stack("email", env) as running:
        yield running


def smtp_port(stack: Stack) -> int:
    return int(stack.extra_env["RAPPORT_SMTP_LISTEN_PORT"])


def restart_gateway(stack: Stack, timeout_s: float = 60.0) -> None:
    """Stop the gateway process alone (as a deploy would) and start it again."""
    import signal

    proc = stack.processes["gateway"]
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=15)
    stack._spawn("gateway", [stack.python, "-m", "channels"])
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{stack.gateway_url}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("the gateway did not come back after a restart")
