"""How long reading facts takes per message (`make bench-facts`): p50/p95/p99 on this machine.

    .venv/bin/python scripts/bench_facts.py [--messages 400] [--rounds 3]

Messages are the hand-written examples of bot/facts/ (short and long, one to several foods,
questions, emoji) plus short turns that name no food ("yes", "any offers?"), read by the trained
reader exactly as the action server reads them (one thread). The target is 15 ms p95. Writes
var/bench/facts-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.actions.context import vocabulary_entries  # noqa: E402
from offers.catalogue import load_catalogue  # noqa: E402
from tastes.corpus import load  # noqa: E402
from tastes.reader import shared_reader  # noqa: E402
from tastes.vocabulary import Vocabulary  # noqa: E402

SHORT_TURNS = ("yes", "no thanks", "hello!", "any offers for me?", "what do you know about me?",
               "thanks a lot", "who am I talking to?", "ok")  # fmt: skip
TARGET_P95_MS = 15.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    vocabulary = Vocabulary.from_entries(
        vocabulary_entries(load_catalogue(ROOT / "catalogue" / "demo.yml"))
    )
    texts = [e.text for e in load() if not e.generated]
    rng = random.Random(1)
    messages = rng.sample(texts, min(args.messages, len(texts))) + list(SHORT_TURNS) * 5
    reader = shared_reader()
    for text in messages[:20]:  # warm-up
        reader.read(text, vocabulary)
    times: list[float] = []
    for n in range(args.rounds):
        rng.shuffle(messages)
        for text in messages:
            started = time.perf_counter()
            reader.read(text, vocabulary)
            times.append((time.perf_counter() - started) * 1000)
        print(f"round {n + 1}/{args.rounds}: {len(messages)} messages")
    p95 = percentile(times, 0.95)
    result: dict[str, object] = {
        "messages": len(messages),
        "reads": len(times),
        "p50_ms": round(percentile(times, 0.50), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "target_p95_ms": TARGET_P95_MS,
        "machine": platform.platform(),
        "at": datetime.now(UTC).isoformat(),
    }
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"facts-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"reading facts: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, "
        f"p99 {result['p99_ms']} ms over {len(times)} reads (target p95 <= {TARGET_P95_MS} ms)"
    )
    print(f"written to {path}")
    return 0 if p95 <= TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
