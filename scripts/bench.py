"""`make bench`: round-trip latency and throughput through the gateway vs. straight to Rasa.

Starts an isolated stack (its own databases under var/bench/), sends the same scripted
conversation through the gateway's REST endpoint, through its socket.io web chat, and straight
to Rasa's REST channel, at 1 and 20 concurrent customers, then prints a table, writes
var/bench/<timestamp>.json and reports the peak memory (VmHWM) of each process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from rapport.settings import ROOT
from rapport.stack import Stack

SCRIPT = [
    "hello",
    "I love veal paupiettes",
    "I'm allergic to nuts",
    "I usually come on Saturday mornings",
    "any offers for me?",
    "what do you know about me?",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


Send = Callable[[str, str], Awaitable[None]]


async def run_customers(
    make_sender: Callable[[], Awaitable[tuple[Send, Callable[[], Awaitable[None]]]]],
    customers: int,
    rounds: int,
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0

    async def one_customer() -> None:
        nonlocal errors
        send, close = await make_sender()
        sender = uuid.uuid4().hex
        try:
            for _ in range(rounds):
                for text in SCRIPT:
                    t0 = time.perf_counter()
                    try:
                        await send(sender, text)
                    except Exception:  # noqa: BLE001 - a failed request is counted, not fatal
                        errors += 1
                        continue
                    latencies.append((time.perf_counter() - t0) * 1000)
        finally:
            await close()

    started = time.perf_counter()
    await asyncio.gather(*(one_customer() for _ in range(customers)))
    elapsed = time.perf_counter() - started
    return {
        "customers": customers,
        "messages": len(latencies),
        "errors": errors,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "throughput_msg_s": round(len(latencies) / elapsed, 1),
    }


def rest_sender(
    url: str, headers: dict[str, str] | None = None
) -> Callable[[], Awaitable[tuple[Send, Callable[[], Awaitable[None]]]]]:
    async def make() -> tuple[Send, Callable[[], Awaitable[None]]]:
        session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=60), headers=headers or {}
        )

        async def send(sender: str, text: str) -> None:
            async with session.post(url, json={"sender": sender, "message": text}) as resp:
                resp.raise_for_status()
                replies = await resp.json()
                if not replies:
                    raise RuntimeError("no reply")

        return send, session.close

    return make


def socketio_sender(
    url: str,
) -> Callable[[], Awaitable[tuple[Send, Callable[[], Awaitable[None]]]]]:
    """A web chat customer: waits for the first bot_uttered of each message."""

    async def make() -> tuple[Send, Callable[[], Awaitable[None]]]:
        client = socketio.AsyncClient(reconnection=False)
        inbox: asyncio.Queue[Any] = asyncio.Queue()
        confirmed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        client.on("bot_uttered", lambda data: inbox.put_nowait(data))

        def on_confirm(data: Any) -> None:
            if not confirmed.done():
                confirmed.set_result(data["session_id"] if isinstance(data, dict) else data)

        client.on("session_confirm", on_confirm)
        await client.connect(url, transports=["websocket"])
        await client.emit("session_request", {"session_id": None})
        session_id = await asyncio.wait_for(confirmed, 10)

        async def send(_sender: str, text: str) -> None:
            while not inbox.empty():  # replies of the previous message that came after the first
                inbox.get_nowait()
            await client.emit("user_uttered", {"message": text, "session_id": session_id})
            await asyncio.wait_for(inbox.get(), 60)

        return send, client.disconnect

    return make


def peak_memory_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def bench(stack: Stack, rounds: int, concurrency: list[int]) -> list[dict[str, Any]]:
    targets = {
        "rasa-rest (direct)": rest_sender(f"{stack.rasa_url}/webhooks/rest/webhook"),
        "gateway-rest": rest_sender(stack.rest_url, stack.rest_headers()),
        "gateway-socketio": socketio_sender(stack.gateway_url),
    }
    # Warm-up: first predictions load lazy parts of Rasa and the action server.
    await run_customers(targets["gateway-rest"], 1, 1)
    rows = []
    for customers in concurrency:
        for name, make in targets.items():
            print(f"  {name:<20} {customers:>2} customer(s) ...", file=sys.stderr, flush=True)
            result = await run_customers(make, customers, rounds)
            rows.append({"target": name, **result})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="script repetitions per customer")
    parser.add_argument("--concurrency", default="1,20", help="comma-separated customer counts")
    args = parser.parse_args()
    concurrency = [int(c) for c in args.concurrency.split(",")]

    out_dir = ROOT / "var" / "bench"
    workdir = out_dir / "stack"
    shutil.rmtree(workdir, ignore_errors=True)
    print("starting an isolated stack (Rasa loads its model in ~40 s) ...", file=sys.stderr)
    # A benchmark customer types without pausing: the burst limit is counted as in production
    # but set out of reach.
    with Stack(workdir=workdir, extra_env={"RAPPORT_BURST_MAX_MESSAGES": "1000000"}) as stack:
        rows = asyncio.run(bench(stack, args.rounds, concurrency))
        memory = {name: peak_memory_mb(p.pid) for name, p in stack.processes.items()}

    header = (
        f"{'target':<20} {'cust':>4} {'msgs':>5} {'err':>4} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'msg/s':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['target']:<20} {r['customers']:>4} {r['messages']:>5} {r['errors']:>4} "
            f"{r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8} {r['throughput_msg_s']:>7}"
        )
    print("\npeak memory (VmHWM): " + ", ".join(f"{k} {v} MB" for k, v in memory.items()))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {
        "at": stamp,
        "rounds": args.rounds,
        "script": SCRIPT,
        "results": rows,
        "peak_memory_mb": memory,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{stamp}.json").write_text(json.dumps(report, indent=2))
    print(f"written to var/bench/{stamp}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
