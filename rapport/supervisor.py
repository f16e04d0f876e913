"""`make run`: start the three processes, restart any that dies, stop them all on Ctrl-C.

A process that exits on its own is logged with its exit code and started again after a pause
that doubles while it keeps failing (1 s, 2 s, 4 s ... up to 30 s) and goes back to 1 s once it
has stayed up for a minute; the others keep running. Each child runs in its own process group
and is asked by the kernel to stop if the supervisor itself dies (PR_SET_PDEATHSIG), so nothing
outlives it. Before starting, a port already taken (say, by an action server left over from an
older run) is reported with what to do instead of a child failing to bind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO

FIRST_PAUSE_S = 1.0
LONGEST_PAUSE_S = 30.0
STEADY_AFTER_S = 60.0
STOP_GRACE_S = 15.0


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """In a new child, before exec: its own process group, and SIGTERM when its parent dies
    (a killed pytest or bench leaves no stack behind)."""
    os.setsid()
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def port_taken(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
        return False


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    pause_s: float = FIRST_PAUSE_S
    restart_at: float | None = None
    restarts: int = 0


@dataclass
class Supervisor:
    commands: Mapping[str, list[str]]
    env: Mapping[str, str]
    cwd: str
    out: IO[str] = field(default_factory=lambda: sys.stdout)
    clock: Callable[[], float] = time.monotonic
    children: dict[str, Child] = field(default_factory=dict)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _print_lock: threading.Lock = field(default_factory=threading.Lock)

    def say(self, name: str, line: str) -> None:
        width = max([len(n) for n in self.commands] + [len("rapport")])
        with self._print_lock:
            self.out.write(f"{name:<{width}} | {line}\n")
            self.out.flush()

    def start(self) -> None:
        for name, argv in self.commands.items():
            self.children[name] = child = Child(name, list(argv))
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        process = subprocess.Popen(
            child.argv,
            cwd=self.cwd,
            env=dict(self.env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - only os.setsid and prctl
        )
        child.process, child.started_at, child.restart_at = process, self.clock(), None
        threading.Thread(target=self._relay, args=(child.name, process), daemon=True).start()

    def _relay(self, name: str, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            self.say(name, raw.decode("utf-8", "replace").rstrip())

    def check(self) -> None:
        """Restart what died (after its pause); called every half second by run()."""
        now = self.clock()
        for child in self.children.values():
            process = child.process
            if child.restart_at is not None:
                if now >= child.restart_at and not self._stopping.is_set():
                    child.restarts += 1
                    self.say("rapport", f"restarting {child.name} (restart {child.restarts})")
                    self._spawn(child)
                continue
            if process is None or process.poll() is None:
                if process is not None and now - child.started_at >= STEADY_AFTER_S:
                    child.pause_s = FIRST_PAUSE_S
                continue
            if self._stopping.is_set():
                continue
            # What it started goes with it (the action server's Sanic worker would otherwise
            # keep its port, and the restarted one could not bind it).
            _signal_group(process, signal.SIGKILL)
            self.say(
                "rapport",
                f"{child.name} exited with {process.returncode}; restarting it in "
                f"{child.pause_s:g} s (the others keep running)",
            )
            child.restart_at = now + child.pause_s
            child.pause_s = min(child.pause_s * 2, LONGEST_PAUSE_S)

    def stop(self) -> None:
        self._stopping.set()
        running = [c.process for c in self.children.values() if c.process is not None]
        for process in running:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = self.clock() + STOP_GRACE_S
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - self.clock()))
            _signal_group(process, signal.SIGKILL)  # whatever is left of it, children included
            process.wait()

    def run(self) -> int:
        """Until SIGINT or SIGTERM; then stop every child and return 0."""

        def on_signal(signum: int, _frame: object) -> None:
            self._stopping.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        self.start()
        try:
            while not self._stopping.wait(0.5):
                self.check()
        finally:
            self.say("rapport", "stopping every process")
            self.stop()
        return 0


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
