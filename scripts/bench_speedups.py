"""`make bench-speedups`: the full stack with and without Rasa's speed-ups (rasa_runtime), side by
side on the same machine, same model, same traffic.

For each variant (a value of RAPPORT_RASA_SPEEDUPS: `1` all, `0` none, or names such as
`validator,tracker_cache`; default `1` then `0`) it starts an isolated stack and measures,
through the gateway's REST endpoint:
- closed-loop load with ../shared/bench/load.py's realistic script when it is there (the figures
  the issues quote), else the same script here: N customers, M messages each, no think time;
  throughput, p50/p95, CPU per message of each process (from /proc);
- one long session (300 messages by one customer): p50 of messages 1-50 against 251-300.
Writes var/bench/speedups-<timestamp>.json and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from load_script import REALISTIC  # noqa: E402

from rapport.settings import ROOT  # noqa: E402
from rapport.stack import Stack  # noqa: E402


def cpu_seconds(group: int) -> float:
    """CPU seconds of every process of a process group (the action server's Sanic runs its
    worker in a child process; each stack process leads a group of its own)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == group:  # pgrp
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def customer(
    session: aiohttp.ClientSession, url: str, msgs: int, lat: list[float], errors: list[str]
) -> list[float]:
    sender, mine = "bench-" + uuid.uuid4().hex[:10], []
    for i in range(msgs):
        t0 = time.perf_counter()
        try:
            async with session.post(
                url, json={"sender": sender, "message": REALISTIC[i % 10]}
            ) as r:
                await r.read()
                if r.status != 200:
                    errors.append(str(r.status))
                    continue
        except (aiohttp.ClientError, TimeoutError) as exc:
            errors.append(repr(exc))
            continue
        mine.append((time.perf_counter() - t0) * 1000)
    lat.extend(mine)
    return mine


async def load(stack: Stack, users: int, msgs: int) -> dict[str, Any]:
    pids = {name: p.pid for name, p in stack.processes.items()}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    lat: list[float] = []
    errors: list[str] = []
    timeout = aiohttp.ClientTimeout(total=120)
    t0 = time.perf_counter()
    async with aiohttp.ClientSession(timeout=timeout, headers=stack.rest_headers()) as session:
        await asyncio.gather(
            *(customer(session, stack.rest_url, msgs, lat, errors) for _ in range(users))
        )
    elapsed = time.perf_counter() - t0
    n = max(len(lat), 1)
    cpu = {
        name: round(1000 * (cpu_seconds(pid) - before[name]) / n, 1) for name, pid in pids.items()
    }
    return {
        "users": users,
        "messages": len(lat),
        "errors": len(errors),
        "p50_ms": round(pct(lat, 0.5), 1),
        "p95_ms": round(pct(lat, 0.95), 1),
        "msg_s": round(len(lat) / elapsed, 2),
        "cpu_ms_per_msg": cpu,
        "cpu_ms_per_msg_all": round(sum(cpu.values()), 1),
    }


async def long_session(stack: Stack, msgs: int) -> dict[str, Any]:
    lat: list[float] = []
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=120), headers=stack.rest_headers()
    ) as session:
        mine = await customer(session, stack.rest_url, msgs, lat, [])
    first, last = mine[:50], mine[-50:]
    return {
        "messages": len(mine),
        "p50_first_50_ms": round(statistics.median(first), 1) if first else None,
        "p50_last_50_ms": round(statistics.median(last), 1) if last else None,
        "ratio": round(statistics.median(last) / statistics.median(first), 2) if first else None,
    }


def label(flag: str) -> str:
    return {"1": "all speed-ups", "0": "as shipped"}.get(flag, flag)


def measure(flag: str, users: int, msgs: int, session_msgs: int, workdir: Path) -> dict[str, Any]:
    shutil.rmtree(workdir, ignore_errors=True)
    stack = Stack(
        workdir,
        extra_env={"RAPPORT_RASA_SPEEDUPS": flag, "RAPPORT_BURST_MAX_MESSAGES": "0"},
    )
    with stack:
        asyncio.run(load(stack, 2, 10))  # warm-up: models, caches, first offers
        print(f"  {label(flag)}: load...", flush=True)
        result = {"load": asyncio.run(load(stack, users, msgs))}
        print(f"  {label(flag)}: one long session...", flush=True)
        result["long_session"] = asyncio.run(long_session(stack, session_msgs))
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--msgs", type=int, default=10, help="messages per customer")
    ap.add_argument("--session", type=int, default=300, help="messages of the long session")
    ap.add_argument(
        "--variants",
        default="1;0",
        help="RAPPORT_RASA_SPEEDUPS values separated by ';' (default: '1;0')",
    )
    args = ap.parse_args()
    variants = [v.strip() for v in args.variants.split(";") if v.strip()]
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {}
    for flag in variants:
        print(f"==> {label(flag)}", flush=True)
        results[flag] = measure(flag, args.users, args.msgs, args.session, out_dir / "speedups")
    width = max(16, *(len(label(f)) + 2 for f in variants))
    print("\n" + " " * 24 + "".join(f"{label(f):>{width}}" for f in variants))
    rows = [
        ("msg/s", "load", "msg_s"),
        ("p50 ms", "load", "p50_ms"),
        ("p95 ms", "load", "p95_ms"),
        ("CPU ms/msg, all", "load", "cpu_ms_per_msg_all"),
        ("errors", "load", "errors"),
        ("session p50 1-50", "long_session", "p50_first_50_ms"),
        ("session p50 251-300", "long_session", "p50_last_50_ms"),
        ("session ratio", "long_session", "ratio"),
    ]
    for title, part, key in rows:
        print(f"{title:24}" + "".join(f"{results[f][part][key]!s:>{width}}" for f in variants))
    for flag in variants:
        per_process = results[flag]["load"]["cpu_ms_per_msg"]
        print(f"CPU ms/msg per process, {label(flag)}: {per_process}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"speedups-{stamp}.json"
    path.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
