"""Ranking latency for one customer on a generated 5,000-product catalogue.

    .venv/bin/python scripts/bench_ranking.py [--products 5000] [--offers 1000] [--runs 500]

The catalogue is derived from the demo one (each demo product repeated under other producers,
offers on random products, counters and tags). Embeddings are computed once (or read from the
disk cache under var/embeddings) before timing; the model is loaded once per process and the
script asserts it. Prints p50/p95/p99 after warm-up and writes var/bench/ranking-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from offers.catalogue import Catalogue, Offer, load_catalogue  # noqa: E402
from offers.embeddings import model_loads, semantic_index  # noqa: E402
from offers.ranking import Fact, Habit, OfferEvent, rank_offers  # noqa: E402

DAY = date(2026, 11, 28)
PRODUCERS = (
    "Maison Bernard", "Ferme du Val", "Les Alpages", "Domaine Roux", "Atelier Morel",
    "Coopérative du Jura", "Terroirs d'Oc", "Clos Saint-Pierre", "Le Moulin", "La Source",
)  # fmt: skip


def big_catalogue(n_products: int, n_offers: int, seed: int) -> Catalogue:
    demo = load_catalogue(ROOT / "catalogue" / "demo.yml")
    rng = random.Random(seed)
    products = []
    for i in range(n_products):
        base = demo.products[i % len(demo.products)]
        producer = PRODUCERS[(i // len(demo.products)) % len(PRODUCERS)]
        products.append(
            replace(
                base,
                sku=f"{base.sku}-{i:05d}",
                name=f"{base.name}, {producer}" if i >= len(demo.products) else base.name,
                description=f"{base.description} From {producer}.",
            )
        )
    tags = sorted({t for p in demo.products for t in p.tags})
    offers = []
    for j in range(n_offers):
        kind = rng.random()
        skus = tuple(p.sku for p in rng.sample(products, rng.randint(1, 4))) if kind < 0.9 else ()
        offers.append(
            Offer(
                id=f"BEN-{j:05d}",
                title=f"Offer {j}",
                description="",
                product_skus=skus,
                category=rng.choice(demo.products).category if 0.9 <= kind < 0.93 else None,
                tag=rng.choice(tags) if kind >= 0.93 else None,
                discount="10% off",
                valid_from=date(2026, 1, 1),
                valid_to=date(2027, 12, 31) if rng.random() < 0.9 else date(2026, 6, 30),
                weekend=rng.random() < 0.2,
            )
        )
    return Catalogue(products=tuple(products), offers=tuple(offers))


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--offers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench")
    args = parser.parse_args()

    cat = big_catalogue(args.products, args.offers, args.seed)
    started = time.perf_counter()
    semantic = semantic_index(cat)
    embed_s = time.perf_counter() - started
    at = datetime(2026, 3, 3, 10, tzinfo=UTC)
    facts = [
        Fact("comté", "like", None, "I love Comté", "web", at),
        Fact("red wine", "like", None, "red wine with dinner", "web", at),
        Fact("veal paupiettes", "like", None, "I love veal paupiettes", "web", at),
        Fact("nuts", "avoid", "allergy", "I'm allergic to nuts", "web", at),
        Fact("offal", "dislike", None, "no offal for me", "web", at),
    ]
    habits = [Habit("shops", "Saturday morning", "Saturday mornings", "web", at)]
    rng = random.Random(args.seed)
    history = [
        OfferEvent(
            o.id,
            rng.choice(["presented", "accepted", "declined"]),
            datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) - timedelta(days=d),
        )
        for d, o in enumerate(rng.sample(cat.offers, 30))
    ]

    def once() -> float:
        t = time.perf_counter()
        ranked = rank_offers(
            cat, facts, today=DAY, history=history, habits=habits, semantic=semantic
        )
        elapsed = (time.perf_counter() - t) * 1000
        assert len(ranked) == 3
        return elapsed

    cold_ms = once()
    for _ in range(args.warmup):
        once()
    samples = [once() for _ in range(args.runs)]
    assert model_loads() == 1, f"the model was loaded {model_loads()} times"
    result = {
        "products": len(cat.products),
        "offers": len(cat.offers),
        "runs": args.runs,
        "embeddings_s": round(embed_s, 2),
        "embeddings_from_disk_cache": semantic.loaded_from_cache,
        "first_call_ms": round(cold_ms, 2),
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "p99_ms": round(percentile(samples, 99), 2),
        "max_ms": round(max(samples), 2),
        "model_loads": model_loads(),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(
        f"ranking, {result['products']} products / {result['offers']} offers, "
        f"{args.runs} runs after {args.warmup} warm-up: p50 {result['p50_ms']} ms, "
        f"p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms "
        f"(first call {result['first_call_ms']} ms; embeddings {result['embeddings_s']} s, "
        f"{'from the disk cache' if semantic.loaded_from_cache else 'computed'}; "
        f"model loaded {model_loads()}x)"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"ranking-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")
    return 0 if result["p95_ms"] <= 20 else 1


if __name__ == "__main__":
    sys.exit(main())
