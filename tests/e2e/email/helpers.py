"""Helpers of the email tests (the stack, smarthost and dovecot: tests/e2e/conftest.py)."""

from __future__ import annotations

import os
import signal
import time
import urllib.request

from rapport.stack import Stack
from tests.e2e.conftest import SHOP

__all__ = ["SHOP", "restart_gateway", "smtp_port"]


def smtp_port(stack: Stack) -> int:
    return int(stack.extra_env["RAPPORT_SMTP_LISTEN_PORT"])


def restart_gateway(stack: Stack, timeout_s: float = 60.0) -> None:
    """Stop the gateway process alone (as a deploy would) and start it again."""
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
