"""Start the whole assistant (Rasa, actions, gateway) on chosen ports, for tests and benchmarks.

`make run` starts the same processes (rapport.processes) under rapport.supervisor; this module
runs an isolated stack with its own ports and databases for end-to-end tests and `make bench`.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from rapport.cluster import GatewayCluster, RasaCluster, replicas_up
from rapport.processes import MODEL, Ports, environment, plan
from rapport.settings import ROOT
from rapport.supervisor import die_with_parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(url: str, timeout: float = 2.0) -> bool:
    """Whether the gateway's /health says the whole assistant is ready."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(json.loads(response.read()).get("ready"))
    except (OSError, ValueError):
        return False


def _up(url: str) -> bool:
    return _get(url) == 200


def _get(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


@dataclass
class Stack:
    workdir: Path
    python: str = str(ROOT / ".venv" / "bin" / "python")
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    gateway_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    model: Path = MODEL
    # The gateway's REST token, new for each stack; send rest_headers() with every REST call.
    rest_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # The profile store and Rasa's tracker store: SQLite files in the workdir unless given
    # (e.g. PostgreSQL databases, "postgresql+psycopg://user@host:port/name").
    database_url: str = ""
    tracker_db_url: str = ""
    # More than one: that many Rasa processes behind HAProxy on rasa_port (rapport.cluster),
    # which needs a PostgreSQL tracker_db_url and a Redis lock store at redis_url.
    rasa_replicas: int = 1
    redis_url: str = ""
    # More than one: that many gateways behind the same HAProxy on gateway_port, sharing their
    # state in Redis at redis_url (channels/shared.py).
    gateway_replicas: int = 1
    # Rasa's events to this RabbitMQ, and the consumer that keeps them (rapport.events).
    rabbitmq_url: str = ""
    rasa_cluster: RasaCluster | None = field(default=None, init=False)
    gateway_cluster: GatewayCluster | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.database_url = self.database_url or f"sqlite:///{self.workdir / 'profile.db'}"
        self.tracker_db_url = self.tracker_db_url or f"sqlite:///{self.workdir / 'tracker.db'}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def rest_url(self) -> str:
        return f"{self.gateway_url}/webhooks/rest/webhook"

    def rest_headers(self) -> dict[str, str]:
        """What a REST call to this stack's gateway must carry."""
        token = self.extra_env.get("RAPPORT_REST_TOKEN", self.rest_token)
        return {"Authorization": f"Bearer {token}"}

    def env(self) -> dict[str, str]:
        env = {**os.environ, **environment()}
        env.update(
            RAPPORT_DATABASE_URL=self.database_url,
            RAPPORT_RASA_URL=self.rasa_url,
            RAPPORT_ACTION_URL=self.action_url,
            RAPPORT_HOST="127.0.0.1",
            RAPPORT_PORT=str(self.gateway_port),
            RAPPORT_SESSION_SECRET="test-secret-" + self.workdir.name,
            RAPPORT_REST_TOKEN=self.rest_token,
            RAPPORT_TRACKER_DB_URL=self.tracker_db_url,
            RAPPORT_SUPPRESSION_KEY="test-suppression-" + self.workdir.name,
        )
        if self.rabbitmq_url:
            env["RAPPORT_RABBITMQ_URL"] = self.rabbitmq_url
        if self.redis_url and self.gateway_replicas > 1:
            env["RAPPORT_REDIS_URL"] = self.redis_url
            env["RAPPORT_PUBLIC_URL"] = self.gateway_url  # links name the balancer, not a replica
        env.update(self.extra_env)
        return env

    def cluster(self) -> RasaCluster | None:
        """The Rasa replicas and their balancer, when there are several (chosen once)."""
        if self.rasa_replicas > 1 and self.rasa_cluster is None:
            self.rasa_cluster = RasaCluster(
                replicas=self.rasa_replicas,
                front_port=self.rasa_port,
                tracker_db_url=self.tracker_db_url,
                redis_url=self.redis_url,
                ports=tuple(free_port() for _ in range(self.rasa_replicas)),
            )
        return self.rasa_cluster

    def gateways(self) -> GatewayCluster | None:
        """The gateway replicas behind the balancer, when there are several (chosen once)."""
        if self.gateway_replicas > 1 and self.gateway_cluster is None:
            self.gateway_cluster = GatewayCluster(
                replicas=self.gateway_replicas,
                front_host="127.0.0.1",
                front_port=self.gateway_port,
                redis_url=self.redis_url,
                ports=tuple(free_port() for _ in range(self.gateway_replicas)),
            )
        return self.gateway_cluster

    @property
    def balancer_socket(self) -> Path:
        """HAProxy's stats socket, when there are Rasa replicas (`show stat`)."""
        return self.workdir / "haproxy.sock"

    def balancer_stat(self) -> str:
        """HAProxy's `show stat` (CSV), read from its stats socket."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(str(self.balancer_socket))
            s.sendall(b"show stat\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def _all_replicas_up(self) -> bool:
        try:
            up = replicas_up(self.balancer_stat())
        except OSError:
            return False
        expected = (self.rasa_replicas if self.rasa_replicas > 1 else 0) + (
            self.gateway_replicas if self.gateway_replicas > 1 else 0
        )
        return len(up) == expected and all(up.values())

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def _spawn(self, name: str, argv: list[str]) -> None:
        out = self.log(name).open("wb")
        self.processes[name] = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - only os.setsid and prctl
        )

    def start(self, *, timeout_s: float = 240.0) -> Stack:
        if not self.model.exists():
            raise RuntimeError(f"no trained model at {self.model}: run `make train` first")
        self.workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [self.python, "-m", "rapport", "setup"],
            cwd=ROOT,
            env=self.env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        cluster, gateways = self.cluster(), self.gateways()
        balanced = cluster is not None or gateways is not None
        argv = plan(
            self.workdir,
            ports=Ports(rasa=self.rasa_port, actions=self.action_port, gateway=self.gateway_port),
            action_url=self.action_url,
            tracker_db_url=self.tracker_db_url,
            rabbitmq_url=self.rabbitmq_url,
            rasa=cluster,
            gateways=gateways,
            stats_socket=self.balancer_socket,
            model=self.model,
            python=self.python,
        )
        for name, command in argv.items():
            self._spawn(name, command)
        deadline = time.monotonic() + timeout_s
        try:
            # The action server answers /health 200 once its models and catalogue are loaded.
            self._wait("actions", lambda: _get(f"{self.action_url}/health") == 200, deadline)
            for i, port in enumerate(cluster.replica_ports if cluster else []):
                replica = partial(_up, f"http://127.0.0.1:{port}/status")
                self._wait(f"rasa-{i + 1}", replica, deadline)
            if balanced:
                # Every replica taking requests, not just one (each is health-checked).
                self._wait("balancer", self._all_replicas_up, deadline)
            self._wait(
                "balancer" if cluster else "rasa", partial(_up, f"{self.rasa_url}/status"), deadline
            )
            for i, port in enumerate(gateways.replica_ports if gateways else []):
                replica = partial(_ready, f"http://127.0.0.1:{port}/health")
                self._wait(f"gateway-{i + 1}", replica, deadline)
            front = "balancer" if gateways else "gateway"
            self._wait(front, partial(_ready, f"{self.gateway_url}/health"), deadline)
        except BaseException:
            # Whatever did start must not outlive a failed start-up.
            self.stop()
            raise
        return self

    def _wait(self, name: str, ready: Callable[[], bool], deadline: float) -> None:
        while time.monotonic() < deadline:
            for proc_name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{proc_name} exited with {proc.returncode} while starting; "
                        f"its log:\n{self.log(proc_name).read_text()[-4000:]}"
                    )
            if ready():
                return
            time.sleep(0.5)
        raise TimeoutError(f"{name} not ready in time; log:\n{self.log(name).read_text()[-4000:]}")

    def stop(self) -> None:
        for proc in list(self.processes.values()):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in list(self.processes.values()):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.processes.clear()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
