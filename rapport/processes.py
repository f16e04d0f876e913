"""The three processes of the assistant and how each is started: one description, used by
`make run` (rapport.supervisor) and by the stacks of tests and benchmarks (rapport.stack)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import make_url

from rapport.cluster import GatewayCluster, RasaCluster, haproxy_config
from rapport.settings import ROOT

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
MODEL = ROOT / "models" / "rapport.tar.gz"
# Rasa's SQL tracker store, keeping each conversation between turns (rasa_runtime/tracker_store.py).
TRACKER_STORE = "rasa_runtime.tracker_store.CachingSQLTrackerStore"
# The durable queue Rasa's event broker fills and rapport.events empties.
EVENTS_QUEUE = "rapport_events"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"  # Debian's haproxy package


@dataclass(frozen=True)
class Ports:
    rasa: int = 5005
    actions: int = 5055
    gateway: int = 8080


def commands(
    *,
    ports: Ports,
    endpoints: Path,
    model: Path = MODEL,
    python: Path | str = PROJECT_PYTHON,
    rasa_python: Path | str = RASA_PYTHON,
    rasa_replica_ports: Sequence[int] = (),
    gateway_ports: Sequence[int] = (),
    balancer_config: Path | None = None,
    events: bool = False,
) -> dict[str, list[str]]:
    """Name -> argv, in start order. Every process listens on 127.0.0.1 only (the action
    server by SANIC_HOST, see environment()); the gateway's own address comes from
    RAPPORT_HOST / RAPPORT_PORT. With `rasa_replica_ports` (rapport.cluster), one Rasa per port
    ("rasa-1", "rasa-2" ...) behind HAProxy ("balancer", with `balancer_config`) on `ports.rasa`;
    with `gateway_ports`, one gateway per port ("gateway-1" ...) behind it on RAPPORT_PORT; with
    `events`, the consumer of Rasa's event broker (rapport.events)."""

    def rasa(port: int) -> list[str]:
        return [
            str(rasa_python),
            "-m",
            "rasa_runtime",  # `rasa run` with the speed-ups of rasa_runtime/speedups.py
            "run",
            "--enable-api",
            "--model",
            str(model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(ROOT / "credentials.yml"),
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
        ]

    argv = {
        "actions": [
            str(python), "-m", "rasa_sdk", "--actions", "bot.actions", "--port", str(ports.actions)
        ],
    }  # fmt: skip
    if (rasa_replica_ports or gateway_ports) and balancer_config is None:
        raise ValueError("replicas need the balancer's configuration")
    for i, port in enumerate(rasa_replica_ports):
        argv[f"rasa-{i + 1}"] = rasa(port)
    if not rasa_replica_ports:
        argv["rasa"] = rasa(ports.rasa)
    for i, port in enumerate(gateway_ports):
        gateway = [str(python), "-m", "channels", "--port", str(port), "--replica", str(i + 1)]
        argv[f"gateway-{i + 1}"] = gateway
    if rasa_replica_ports or gateway_ports:
        argv["balancer"] = [HAPROXY, "-db", "-f", str(balancer_config)]
    if not gateway_ports:
        argv["gateway"] = [str(python), "-m", "channels"]
    if events:
        argv["events"] = [str(python), "-m", "rapport.events"]
    return argv


def tracker_store_endpoint(url: str) -> str:
    """The `tracker_store` section of Rasa's endpoints.yml for the database at `url` (SQLite or
    PostgreSQL; Rasa's SQLTrackerStore connects to PostgreSQL with its own psycopg2)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return (
            f"tracker_store:\n  type: {TRACKER_STORE}\n  dialect: sqlite\n  db: {parsed.database}\n"
        )
    if backend != "postgresql":
        raise ValueError(f"a stack's tracker store is SQLite or PostgreSQL, not {backend}")
    lines = [
        "tracker_store:",
        f"  type: {TRACKER_STORE}",
        "  dialect: postgresql",
        f"  url: {parsed.host or '127.0.0.1'}",
        f"  port: {parsed.port or 5432}",
        f"  db: {parsed.database}",
    ]
    if parsed.username:
        lines.append(f"  username: {parsed.username}")
    if parsed.password:
        lines.append(f"  password: {json.dumps(parsed.password)}")  # JSON is YAML
    return "\n".join(lines) + "\n"


def broker_endpoint(url: str, queue: str = EVENTS_QUEUE) -> str:
    """The `event_broker` section of Rasa's endpoints.yml for the RabbitMQ at `url`."""
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise ValueError(
            f"RAPPORT_RABBITMQ_URL must look like amqp://user:pass@host:5672/, not {url!r}"
        )
    lines = [
        "event_broker:",
        "  type: pika",
        f"  url: {parts.hostname}",
        f"  port: {parts.port or 5672}",
        f"  username: {unquote(parts.username or 'guest')}",
        f'  password: "{unquote(parts.password or "guest")}"',
        "  queues:",
        f"    - {queue}",
    ]
    if parts.scheme == "amqps":
        lines.append("  ssl: true")
    return "\n".join(lines) + "\n"


def endpoints_yml(
    action_url: str, tracker_db_url: str, lock_store: str = "", event_broker: str = ""
) -> str:
    """Rasa's endpoints.yml: the action server, the tracker store, and a lock store and an
    event broker if given."""
    return f'action_endpoint:\n  url: "{action_url}/webhook"\n' + (
        tracker_store_endpoint(tracker_db_url) + lock_store + event_broker
    )


def plan(
    folder: Path,
    *,
    ports: Ports,
    action_url: str,
    tracker_db_url: str,
    rabbitmq_url: str = "",
    rasa: RasaCluster | None = None,
    gateways: GatewayCluster | None = None,
    stats_socket: Path | None = None,
    model: Path = MODEL,
    python: Path | str = PROJECT_PYTHON,
) -> dict[str, list[str]]:
    """Write into `folder` Rasa's endpoints.yml (tracker store; with Rasa replicas their Redis
    lock store; with `rabbitmq_url` the event broker) and, with replicas, HAProxy's
    configuration; the commands that run on them (`commands`). ValueError for a bad broker URL."""
    broker = broker_endpoint(rabbitmq_url) if rabbitmq_url else ""
    lock_store = rasa.lock_store_endpoint() if rasa else ""
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(endpoints_yml(action_url, tracker_db_url, lock_store, broker))
    balancer = None
    if rasa is not None or gateways is not None:
        balancer = folder / "haproxy.cfg"
        socket = str(stats_socket) if stats_socket else ""
        balancer.write_text(haproxy_config(rasa, gateways, stats_socket=socket))
    return commands(
        ports=ports,
        endpoints=endpoints,
        model=model,
        python=python,
        rasa_replica_ports=rasa.replica_ports if rasa else (),
        gateway_ports=gateways.replica_ports if gateways else (),
        balancer_config=balancer,
        events=bool(rabbitmq_url),
    )


def environment(action_host: str = "127.0.0.1") -> dict[str, str]:
    """What every process needs in its environment, beyond the caller's settings."""
    return {
        "RASA_TELEMETRY_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        # rasa-sdk binds SANIC_HOST (0.0.0.0 by default): the action server answers Rasa only.
        "SANIC_HOST": action_host,
        # Rasa imports bot.components (its custom NLU components) and rasa_runtime from here.
        "PYTHONPATH": str(ROOT),
    }
