"""The Rasa cluster's configuration: refused clearly where it cannot work, exact where it can."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.cluster import (
    ClusterError,
    GatewayCluster,
    RasaCluster,
    haproxy_config,
    replicas_up,
    requests_per_replica,
)
from rapport.processes import Ports, commands, endpoints_yml

PG = "postgresql+psycopg://rapport:s3cret@db.internal:5433/trackers"


def cluster(**kw: object) -> RasaCluster:
    args: dict[str, object] = {
        "replicas": 2,
        "front_port": 5005,
        "tracker_db_url": PG,
        "redis_url": "redis://cache:6380/2",
    }
    return RasaCluster(**(args | kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"replicas": 1}, "2 Rasa replicas or more"),
        ({"tracker_db_url": "sqlite:///var/tracker.db"}, "RAPPORT_TRACKER_DB_URL=postgresql"),
        ({"redis_url": ""}, "RAPPORT_REDIS_URL=redis://"),
        ({"ports": (7001,)}, "2 replicas need 2 ports"),
    ],
)
def test_what_cannot_run_several_replicas_is_refused_with_the_fix(
    change: dict[str, object], says: str
) -> None:
    with pytest.raises(ClusterError, match=says.replace("(", r"\(")):
        cluster(**change)


def test_replicas_listen_above_the_front_and_share_postgresql_and_redis() -> None:
    c = cluster()
    assert c.replica_ports == [5006, 5007]
    assert cluster(ports=(7001, 7002)).replica_ports == [7001, 7002]
    endpoints = endpoints_yml("http://127.0.0.1:5055", PG, c.lock_store_endpoint())
    assert "dialect: postgresql\n  url: db.internal\n  port: 5433\n  db: trackers" in endpoints
    assert endpoints.endswith(
        "lock_store:\n  type: redis\n  url: cache\n  port: 6380\n  db: 2\n  key_prefix: rapport\n"
    )
    config = c.haproxy_config(stats_socket="/run/rapport/haproxy.sock")
    assert "bind 127.0.0.1:5005" in config and "balance leastconn" in config
    assert "server rasa1 127.0.0.1:5006 check" in config
    assert "server rasa2 127.0.0.1:5007 check" in config
    assert "stats socket /run/rapport/haproxy.sock" in config


def test_commands_start_each_replica_and_the_balancer() -> None:
    argv = commands(
        ports=Ports(rasa=5005),
        endpoints=Path("endpoints.yml"),
        rasa_replica_ports=[5006, 5007],
        balancer_config=Path("haproxy.cfg"),
    )
    assert list(argv) == ["actions", "rasa-1", "rasa-2", "balancer", "gateway"]
    assert argv["rasa-2"][-2:] == ["--port", "5007"]
    assert argv["balancer"][1:] == ["-db", "-f", "haproxy.cfg"]
    assert "rasa" in commands(ports=Ports(), endpoints=Path("endpoints.yml"))


def test_the_balancers_figures_are_read_per_replica() -> None:
    stat = (
        "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,"
        "wretr,wredis,status\n"
        "rasa,FRONTEND,,,0,1,4096,9,,,,,,,,,,OPEN\n"
        "rasa_replicas,rasa1,0,0,0,1,,5,,,,,,,,,,UP\n"
        "rasa_replicas,rasa2,0,0,0,1,,4,,,,,,,,,,DOWN 1/2\n"
        "rasa_replicas,BACKEND,0,0,0,1,,9,,,,,,,,,,UP\n"
    )
    assert requests_per_replica(stat) == {"rasa1": 5, "rasa2": 4}
    assert replicas_up(stat) == {"rasa1": True, "rasa2": False}


def test_gateway_replicas_need_redis_and_sit_behind_the_same_balancer() -> None:
    with pytest.raises(ClusterError, match="RAPPORT_REDIS_URL"):
        GatewayCluster(replicas=2, front_host="0.0.0.0", front_port=8080, redis_url="")
    gateways = GatewayCluster(
        replicas=2, front_host="0.0.0.0", front_port=8080, redis_url="redis://cache:6379/1"
    )
    assert gateways.replica_ports == [8081, 8082]
    config = haproxy_config(cluster(), gateways)
    assert "frontend gateway\n    bind 0.0.0.0:8080" in config
    assert "cookie RAPPORT_GATEWAY insert indirect nocache" in config  # socket.io polling
    assert "server gateway2 127.0.0.1:8082 cookie g2 check" in config
    argv = commands(
        ports=Ports(),
        endpoints=Path("endpoints.yml"),
        gateway_ports=gateways.replica_ports,
        balancer_config=Path("haproxy.cfg"),
    )
    assert list(argv) == ["actions", "rasa", "gateway-1", "gateway-2", "balancer"]
    assert argv["gateway-2"][-4:] == ["--port", "8082", "--replica", "2"]
    stat = (
        "# pxname,svname,stot,status\n"
        "gateway_replicas,gateway1,3,UP\n"
        "gateway_replicas,BACKEND,3,UP\n"
    )
    assert requests_per_replica(stat) == {"gateway1": 3}
