"""`make bench-soak`: the full stack at about 70 % of its saturation for 10 minutes.

Starts a stack of its own, measures its saturation (20 customers, no think time, 30 s), then
lets 20 customers talk with the think time that brings the rate to --load of it, for --minutes.
Every message carries its own id. Reports what was sent, answered, failed and lost, whether any
message was answered twice (each customer's user messages in Rasa's tracker, against what was
sent), and the memory (RSS) of every process at the start and the end of the soak, and its peak.
Writes var/bench/soak-<time>.json.

    .venv/bin/python scripts/bench_soak.py [--minutes 10] [--load 0.7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import percentile  # noqa: E402
from load_script import REALISTIC  # noqa: E402

from rapport.stack import Stack  # noqa: E402

CUSTOMERS = 20


def rss_mb(pid: int, field: str = "VmRSS") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def talk(
    stack: Stack, seconds: float, think_s: float, sent: Counter[str], latencies: list[float]
) -> dict[str, int]:
    outcome: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    timeout = aiohttp.ClientTimeout(total=60)

    async def customer() -> None:
        sender = "soak-" + uuid.uuid4().hex[:12]
        turn = 0
        async with aiohttp.ClientSession(timeout=timeout, headers=stack.rest_headers()) as http:
            while time.monotonic() < deadline:
                text = REALISTIC[turn % len(REALISTIC)]
                turn += 1
                body = {
                    "sender": sender,
                    "message": text,
                    "metadata": {"message_id": uuid.uuid4().hex},
                }
                started = time.perf_counter()
                sent[sender] += 1
                outcome["sent"] += 1
                try:
                    async with http.post(stack.rest_url, json=body) as response:
                        replies = await response.json(content_type=None)
                        if response.status == 200 and replies:
                            outcome["answered"] += 1
                            latencies.append((time.perf_counter() - started) * 1000)
                        else:
                            outcome[f"http_{response.status}"] += 1
                except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                    outcome[f"error_{exc.__class__.__name__}"] += 1
                if think_s:
                    await asyncio.sleep(random.uniform(0.5 * think_s, 1.5 * think_s))

    await asyncio.gather(*(customer() for _ in range(CUSTOMERS)))
    return dict(outcome)


async def answered_twice(stack: Stack, sent: Counter[str]) -> dict[str, int]:
    """Per customer, user messages in Rasa's tracker against messages sent: more is a message
    handled twice, fewer one lost on the way."""
    counts = {"customers": 0, "more_than_sent": 0, "fewer_than_sent": 0}
    async with aiohttp.ClientSession() as http:
        for sender, n in sent.items():
            export = await asyncio.to_thread(_customer_id, stack, sender)
            if export is None:
                continue
            url = f"{stack.rasa_url}/conversations/{export}/tracker?include_events=ALL"
            async with http.get(url) as response:
                events = (await response.json())["events"]
            users = sum(1 for e in events if e["event"] == "user")
            counts["customers"] += 1
            counts["more_than_sent"] += users > n
            counts["fewer_than_sent"] += users < n
    return counts


def _customer_id(stack: Stack, sender: str) -> str | None:
    from profile_store.db import make_engine, make_sessionmaker
    from profile_store.repository import find_customer

    engine = make_engine(stack.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            customer = find_customer(session, f"rest:{sender}")
            return customer.id if customer else None
    finally:
        engine.dispose()


async def soak(stack: Stack, minutes: float, load: float) -> dict[str, Any]:
    print("  saturation: 20 customers, no think time, 30 s ...", file=sys.stderr)
    lat: list[float] = []
    saturated = await talk(stack, 30, 0.0, Counter(), lat)
    rate = saturated.get("answered", 0) / 30
    if not rate:
        raise SystemExit("the stack answered nothing at saturation")
    # Each customer's cycle is its think time plus the latency at that load: guess the think
    # time from the saturation latency, try it for 30 s, and correct it once.
    target = load * rate
    think = max(0.0, CUSTOMERS / target - percentile(lat, 50) / 1000)
    trial = await talk(stack, 30, think, Counter(), [])
    achieved = trial.get("answered", 0) / 30 or target
    think = max(0.0, think + CUSTOMERS / target - CUSTOMERS / achieved)
    print(f"  {rate:.1f} msg/s; soak at {load:.0%}: think {think:.2f} s ...", file=sys.stderr)
    pids = {name: p.pid for name, p in stack.processes.items()}
    start_rss = {name: rss_mb(pid) for name, pid in pids.items()}
    sent: Counter[str] = Counter()
    latencies: list[float] = []
    started = time.monotonic()
    outcome = await talk(stack, minutes * 60, think, sent, latencies)
    elapsed = time.monotonic() - started
    end_rss = {name: rss_mb(pid) for name, pid in pids.items()}
    peak_rss = {name: rss_mb(pid, "VmHWM") for name, pid in pids.items()}
    await asyncio.sleep(2)
    return {
        "saturation_msg_s": round(rate, 1),
        "load": load,
        "think_s": round(think, 2),
        "minutes": minutes,
        "rate_msg_s": round(outcome.get("answered", 0) / elapsed, 1),
        "outcome": outcome,
        "lost": outcome.get("sent", 0) - outcome.get("answered", 0),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "tracker_check": await answered_twice(stack, sent),
        "rss_mb_start": start_rss,
        "rss_mb_end": end_rss,
        "rss_mb_peak": peak_rss,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--load", type=float, default=0.7, help="share of the saturation rate")
    args = parser.parse_args()
    workdir = ROOT / "var" / "bench" / "soak-stack"
    shutil.rmtree(workdir, ignore_errors=True)
    print("starting a stack of its own ...", file=sys.stderr)
    with Stack(workdir=workdir, extra_env={"RAPPORT_BURST_MAX_MESSAGES": "1000000"}) as stack:
        report = asyncio.run(soak(stack, args.minutes, args.load))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "var" / "bench" / f"soak-{stamp}.json"
    out.write_text(json.dumps({"at": stamp, **report}, indent=2))
    print(json.dumps(report, indent=2))
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
