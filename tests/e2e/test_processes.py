"""The running processes as `make run` and the stacks start them (rapport.processes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.stack import Stack

pytestmark = pytest.mark.e2e

LISTEN = "0A"


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on this TCP port (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == LISTEN:
                found.add(address)
    return found


def test_every_process_listens_on_loopback_only(stack: Stack) -> None:
    loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1
    for name, port in (
        ("action server", stack.action_port),
        ("Rasa", stack.rasa_port),
        ("gateway", stack.gateway_port),
    ):
        addresses = listening_addresses(port)
        assert addresses, f"nothing listens on the {name} port {port}"
        assert addresses <= loopback, f"the {name} listens beyond this machine: {addresses}"


def test_rasa_runs_with_the_speed_ups_and_the_caching_tracker_store(stack: Stack) -> None:
    log = stack.log("rasa").read_text(errors="replace")
    assert "Rasa speed-ups: action response validator built once" in log
    endpoints = (stack.workdir / "endpoints.yml").read_text()
    assert "type: rasa_runtime.tracker_store.CachingSQLTrackerStore" in endpoints
