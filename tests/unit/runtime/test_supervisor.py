"""`make run`'s supervisor with real processes: one that dies is restarted and the others keep
running; Ctrl-C (SIGTERM here) stops them all and leaves nothing behind."""

from __future__ import annotations

import io
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from rapport.supervisor import Supervisor, port_taken

SLEEPER = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(600)"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return status != "Z"


def wait_for(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def supervisor(tmp_path: Path):  # type: ignore[no-untyped-def]
    out = io.StringIO()
    sup = Supervisor({"rasa": SLEEPER, "actions": SLEEPER}, dict(os.environ), str(tmp_path), out)
    sup.start()
    yield sup
    sup.stop()


def test_a_killed_process_is_restarted_and_the_others_keep_running(supervisor: Supervisor) -> None:
    rasa, actions = supervisor.children["rasa"], supervisor.children["actions"]
    assert rasa.process is not None and actions.process is not None
    first, other = rasa.process.pid, actions.process.pid
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: rasa.process is not None and rasa.process.poll() is not None)

    def restarted() -> bool:
        supervisor.check()
        return rasa.process is not None and rasa.process.pid != first and rasa.restarts == 1

    wait_for(restarted)
    assert alive(rasa.process.pid) and alive(other), "the other process was left alone"
    assert actions.process.pid == other and actions.restarts == 0
    log = supervisor.out.getvalue()  # type: ignore[attr-defined]
    assert f"rasa exited with {-signal.SIGKILL}; restarting it in 1 s" in log
    assert "restarting rasa (restart 1)" in log


def test_the_pause_doubles_while_a_process_keeps_failing(tmp_path: Path) -> None:
    now = [0.0]
    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    sup = Supervisor({"gateway": failing}, dict(os.environ), str(tmp_path), io.StringIO(),
                     clock=lambda: now[0])  # fmt: skip
    sup.start()
    child = sup.children["gateway"]
    pauses = []
    for _ in range(3):
        assert child.process is not None
        child.process.wait()
        sup.check()
        assert child.restart_at is not None
        pauses.append(child.restart_at - now[0])
        now[0] = child.restart_at
        sup.check()  # restarts it
    sup.stop()
    assert pauses == [1.0, 2.0, 4.0]
    assert "gateway exited with 3" in sup.out.getvalue()  # type: ignore[attr-defined]


def test_stopping_leaves_no_process_behind(supervisor: Supervisor) -> None:
    pids = [c.process.pid for c in supervisor.children.values() if c.process is not None]
    supervisor.stop()
    assert not any(alive(pid) for pid in pids)
    supervisor.check()
    assert all(c.restart_at is None for c in supervisor.children.values()), "no restart on stop"


def test_children_stop_when_the_supervisor_itself_is_killed(tmp_path: Path) -> None:
    """Even kill -9 of the supervisor leaves no orphan: the kernel stops its children."""
    pid_file = tmp_path / "pids"
    script = (
        "import os, sys, time\n"
        "from rapport.supervisor import Supervisor\n"
        f"sup = Supervisor({{'rasa': {SLEEPER!r}}}, dict(os.environ), {str(tmp_path)!r})\n"
        "sup.start()\n"
        f"open({str(pid_file)!r}, 'w').write(str(sup.children['rasa'].process.pid))\n"
        "time.sleep(600)\n"
    )
    import subprocess

    parent = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parents[3])
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip() != "", timeout=20)
        child = int(pid_file.read_text())
        assert alive(child)
        parent.kill()
        parent.wait()
        wait_for(lambda: not alive(child))
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_taken_port_is_seen_before_starting() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert port_taken(port)
    assert not port_taken(port)


def test_run_stops_everything_on_sigterm(tmp_path: Path) -> None:
    sup = Supervisor({"rasa": SLEEPER}, dict(os.environ), str(tmp_path), io.StringIO())
    result: list[int] = []
    # signal handlers belong to the main thread: run() there, the signal from a helper thread.
    timer = threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGTERM))
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    timer.start()
    try:
        result.append(sup.run())
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    process = sup.children["rasa"].process
    assert result == [0] and process is not None and process.poll() is not None
    assert "stopping every process" in sup.out.getvalue()  # type: ignore[attr-defined]


def test_what_a_dead_process_started_goes_with_it(tmp_path: Path) -> None:
    """The action server's Sanic runs a worker process: when the server dies, its worker must
    not keep the port from the restarted one."""
    pid_file = tmp_path / "worker"
    parent = (
        "import subprocess, sys, time\n"
        f"w = subprocess.Popen({SLEEPER!r})\n"
        f"open({str(pid_file)!r}, 'w').write(str(w.pid))\n"
        "time.sleep(600)\n"
    )
    sup = Supervisor({"actions": [sys.executable, "-c", parent]}, dict(os.environ), str(tmp_path),
                     io.StringIO())  # fmt: skip
    sup.start()
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text() != "")
        worker = int(pid_file.read_text())
        first = sup.children["actions"].process
        assert first is not None
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        sup.check()
        wait_for(lambda: not alive(worker))
    finally:
        sup.stop()
