"""`make bench-replicas`: saturation throughput of the full stack with 1 and with 2 Rasa replicas.

For each count, an isolated stack on PostgreSQL (two fresh databases, dropped afterwards) and,
with replicas, Redis locks and HAProxy (rapport.cluster); 20 customers with no think time send
the scripted conversation through the gateway's REST endpoint. Prints msg/s, latency and the
CPU each process spent per message, and writes var/bench/replicas-<timestamp>.json.

    .venv/bin/python scripts/bench_replicas.py [--replicas 1,2] [--customers 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import rest_sender, run_customers  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from profile_store.db import ensure_database  # noqa: E402
from rapport.stack import Stack  # noqa: E402

POSTGRES = os.environ.get(
    "RAPPORT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
REDIS = os.environ.get("RAPPORT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its children that have ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / TICK


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / TICK, sum(fields) / TICK


@contextmanager
def databases(tag: str) -> Iterator[tuple[str, str]]:
    urls = tuple(f"{POSTGRES}/rapport_bench_{tag}_{role}" for role in ("profile", "tracker"))
    for url in urls:
        ensure_database(url)
    try:
        yield urls  # type: ignore[misc]
    finally:
        admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for url in urls:
                name = make_url(url).database
                conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


@contextmanager
def stack_on_postgres(workdir: Path, replicas: int) -> Iterator[Stack]:
    """A stack of its own on two fresh PostgreSQL databases (dropped after), with `replicas`
    Rasa processes (Redis locks and HAProxy from 2); the burst limit out of a benchmark's way."""
    shutil.rmtree(workdir, ignore_errors=True)
    with (
        databases(uuid.uuid4().hex[:6]) as (profile_url, tracker_url),
        Stack(
            workdir=workdir,
            database_url=profile_url,
            tracker_db_url=tracker_url,
            rasa_replicas=replicas,
            redis_url=REDIS if replicas > 1 else "",
            extra_env={"RAPPORT_BURST_MAX_MESSAGES": "1000000"},
        ) as stack,
    ):
        yield stack


async def saturate(stack: Stack, customers: int, rounds: int) -> dict[str, Any]:
    send = rest_sender(stack.rest_url, stack.rest_headers())
    await run_customers(send, 2, 1)  # warm-up: lazy parts of every replica and the actions
    pids = {name: p.pid for name, p in stack.processes.items()}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    busy0, total0 = machine_busy()
    result = await run_customers(send, customers, rounds)
    busy1, total1 = machine_busy()
    per_message = {
        name: round(1000 * (cpu_seconds(pid) - before[name]) / max(result["messages"], 1), 1)
        for name, pid in pids.items()
    }
    rasa = sum(v for k, v in per_message.items() if k.startswith("rasa"))
    return {
        **result,
        "cpu_ms_per_msg": per_message,
        "rasa_cpu_ms_per_msg": round(rasa, 1),
        "all_cpu_ms_per_msg": round(sum(per_message.values()), 1),
        # The whole machine (PostgreSQL, Redis, HAProxy and this client too): how saturated.
        "machine_busy_share": round((busy1 - busy0) / max(total1 - total0, 1e-9), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", default="1,2", help="comma-separated Rasa replica counts")
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="script repetitions per customer")
    args = parser.parse_args()
    rows = []
    for replicas in [int(n) for n in args.replicas.split(",")]:
        workdir = ROOT / "var" / "bench" / f"replicas-{replicas}"
        print(f"{replicas} Rasa replica(s): starting a stack on PostgreSQL ...", file=sys.stderr)
        with stack_on_postgres(workdir, replicas) as stack:
            print(f"  {args.customers} customers, no think time ...", file=sys.stderr)
            rows.append(
                {"replicas": replicas, **asyncio.run(saturate(stack, args.customers, args.rounds))}
            )
    print(f"{'replicas':>8} {'msgs':>5} {'err':>4} {'p50 ms':>8} {'p95 ms':>8} {'msg/s':>7} "
          f"{'Rasa CPU/msg':>13} {'all CPU/msg':>12} {'machine busy':>13}")  # fmt: skip
    for r in rows:
        print(
            f"{r['replicas']:>8} {r['messages']:>5} {r['errors']:>4} {r['p50_ms']:>8} "
            f"{r['p95_ms']:>8} {r['throughput_msg_s']:>7} {r['rasa_cpu_ms_per_msg']:>10} ms "
            f"{r['all_cpu_ms_per_msg']:>9} ms {r['machine_busy_share']:>12.0%}"
        )
    if len(rows) > 1:
        gain = rows[-1]["throughput_msg_s"] / max(rows[0]["throughput_msg_s"], 1e-9)
        print(
            f"throughput with {rows[-1]['replicas']} replicas: {gain:.2f}x "
            f"that with {rows[0]['replicas']}"
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "var" / "bench" / f"replicas-{stamp}.json"
    out.write_text(json.dumps({"at": stamp, "cores": os.cpu_count(), "rows": rows}, indent=2))
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
