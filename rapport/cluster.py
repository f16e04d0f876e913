"""Replicas on shared services: what `rapport run` starts when RAPPORT_RASA_REPLICAS or
RAPPORT_GATEWAY_REPLICAS is more than 1.

N Rasa processes share the conversation trackers in PostgreSQL (RAPPORT_TRACKER_DB_URL) and
take each conversation's lock in Redis (RAPPORT_REDIS_URL: Rasa's RedisLockStore, so two
messages of one customer are never predicted at once, whichever replica gets them). HAProxy
listens where Rasa would (RAPPORT_RASA_URL's port) and gives each request to the replica with
the fewest in flight; a replica that stops answering its health check gets no more. Pure text:
the caller writes the files and starts the processes.

Gateway replicas share their state through Redis too (channels/shared.py: socket.io rooms,
staff sessions, console events, per-customer ordering); HAProxy listens on RAPPORT_PORT, keeps
each browser on one replica (a cookie, for socket.io's polling transport) and spreads the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import make_url


class ClusterError(ValueError):
    """A setting that cannot run several Rasa processes, said so that it can be fixed."""


@dataclass(frozen=True)
class RasaCluster:
    replicas: int
    front_port: int  # where the gateway sends its messages (HAProxy)
    tracker_db_url: str
    redis_url: str
    ports: tuple[int, ...] = ()  # the replicas' own ports; by default just above the front

    def __post_init__(self) -> None:
        if self.replicas < 2:
            raise ClusterError("a cluster has 2 Rasa replicas or more (RAPPORT_RASA_REPLICAS)")
        if make_url(self.tracker_db_url).get_backend_name() != "postgresql":
            raise ClusterError(
                "several Rasa replicas share their conversations in PostgreSQL: set "
                "RAPPORT_TRACKER_DB_URL=postgresql://user@host:5432/db (SQLite is one process's)"
            )
        if self.ports and len(self.ports) < self.replicas:
            raise ClusterError(f"{self.replicas} replicas need {self.replicas} ports")
        if not self.redis_url.startswith(("redis://", "rediss://")):
            raise ClusterError(
                "several Rasa replicas lock each conversation in Redis: set "
                "RAPPORT_REDIS_URL=redis://host:6379/1"
            )

    @property
    def replica_ports(self) -> list[int]:
        """The replicas' ports: 5006, 5007 ... for a front on 5005, unless given."""
        if self.ports:
            return list(self.ports[: self.replicas])
        return [self.front_port + 1 + i for i in range(self.replicas)]

    def lock_store_endpoint(self) -> str:
        """The `lock_store` section of endpoints.yml: Rasa's RedisLockStore."""
        url = make_url(self.redis_url.replace("rediss://", "redis://", 1))
        lines = [
            "lock_store:",
            "  type: redis",
            f"  url: {url.host or '127.0.0.1'}",
            f"  port: {url.port or 6379}",
            f"  db: {int(url.database or 1)}",
            "  key_prefix: rapport",
        ]
        if url.username:
            lines.append(f"  username: {url.username}")
        if url.password:
            lines.append(f'  password: "{url.password}"')
        if self.redis_url.startswith("rediss://"):
            lines.append("  use_ssl: true")
        return "\n".join(lines) + "\n"

    def haproxy_config(
        self,
        host: str = "127.0.0.1",
        stats_socket: str = "",
        gateways: GatewayCluster | None = None,
    ) -> str:
        """HAProxy in front of the replicas (see haproxy_config)."""
        return haproxy_config(self, gateways, host=host, stats_socket=stats_socket)


@dataclass(frozen=True)
class GatewayCluster:
    replicas: int
    front_host: str  # RAPPORT_HOST: where customers and the shop's site reach the gateway
    front_port: int  # RAPPORT_PORT
    redis_url: str
    ports: tuple[int, ...] = ()  # the replicas' own ports; by default just above the front

    def __post_init__(self) -> None:
        if self.replicas < 2:
            raise ClusterError("a cluster has 2 gateway replicas or more")
        if not self.redis_url.startswith(("redis://", "rediss://")):
            raise ClusterError(
                "gateway replicas share sessions, rooms and locks in Redis: set "
                "RAPPORT_REDIS_URL=redis://host:6379/1"
            )
        if self.ports and len(self.ports) < self.replicas:
            raise ClusterError(f"{self.replicas} gateway replicas need {self.replicas} ports")

    @property
    def replica_ports(self) -> list[int]:
        if self.ports:
            return list(self.ports[: self.replicas])
        return [self.front_port + 1 + i for i in range(self.replicas)]


def haproxy_config(
    rasa: RasaCluster | None,
    gateways: GatewayCluster | None,
    *,
    host: str = "127.0.0.1",
    stats_socket: str = "",
) -> str:
    """One HAProxy for the replicas. Rasa: least connections, a replica out when its /status
    stops answering, a request it failed to connect to retried on another. Gateways: a browser
    kept on one replica by a cookie (socket.io's polling), round robin otherwise, out when
    /health stops answering; websockets pass through. `stats_socket`: a Unix socket answering
    `show stat` (requests per replica, which are up)."""
    stats = f"    stats socket {stats_socket} mode 600 level operator\n" if stats_socket else ""
    out = (
        "global\n"
        "    maxconn 4096\n"
        f"{stats}"
        "defaults\n"
        "    mode http\n"
        "    timeout connect 2s\n"
        "    timeout client 120s\n"
        "    timeout server 120s\n"
        "    timeout tunnel 1h\n"
        "    retries 2\n"
        "    option redispatch\n"
    )
    if rasa is not None:
        servers = "".join(
            f"    server rasa{i + 1} {host}:{port} check inter 2s fall 2 rise 1\n"
            for i, port in enumerate(rasa.replica_ports)
        )
        out += (
            "frontend rasa\n"
            f"    bind {host}:{rasa.front_port}\n"
            "    default_backend rasa_replicas\n"
            "backend rasa_replicas\n"
            "    balance leastconn\n"
            "    option httpchk GET /status\n"
            "    http-check expect status 200\n"
            f"{servers}"
        )
    if gateways is not None:
        servers = "".join(
            f"    server gateway{i + 1} {host}:{port} cookie g{i + 1} "
            "check inter 2s fall 2 rise 1\n"
            for i, port in enumerate(gateways.replica_ports)
        )
        out += (
            "frontend gateway\n"
            f"    bind {gateways.front_host}:{gateways.front_port}\n"
            "    option forwardfor\n"
            "    default_backend gateway_replicas\n"
            "backend gateway_replicas\n"
            "    balance roundrobin\n"
            "    cookie RAPPORT_GATEWAY insert indirect nocache httponly\n"
            "    option httpchk GET /\n"  # the page: cheap, unlike /health (it asks Rasa)
            "    http-check expect status 200\n"
            f"{servers}"
        )
    return out


def _replica_rows(show_stat: str) -> list[dict[str, str]]:
    lines = show_stat.lstrip("# ").splitlines()
    if not lines:
        return []
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
    ours = [r for r in rows if r.get("pxname") in ("rasa_replicas", "gateway_replicas")]
    return [r for r in ours if r.get("svname", "") not in ("BACKEND", "FRONTEND")]


def requests_per_replica(show_stat: str) -> dict[str, int]:
    """HAProxy's `show stat` (CSV) read for the replicas: server name -> requests sent to it."""
    return {r["svname"]: int(r.get("stot") or 0) for r in _replica_rows(show_stat)}


def replicas_up(show_stat: str) -> dict[str, bool]:
    """Server name -> whether the balancer sends it requests (its health check passes)."""
    return {r["svname"]: r.get("status", "").startswith("UP") for r in _replica_rows(show_stat)}
