"""Offline evaluation of offer ranking on generated customers with known ground truth.

    .venv/bin/python scripts/eval_offers.py [--customers 500] [--seed 7] [--no-semantic]

Each generated customer has likes drawn from the catalogue's words, avoids (allergens, diets),
dislikes (catalogue words), sometimes a withdrawn consent, and a weekend habit. Ground truth is
computed here, independently of offers.ranking: an offer is *relevant* if it runs that day,
breaks nothing the customer stated (allergen, diet, disliked word in a product's name, tags or
counter), and has a product whose name, tags or synonyms contain a liked word. Every system
(Rapport; the most popular allowed offers; random allowed offers) is scored on the same
customers for precision@3 and for violations: a broken constraint, an offer not running, any
offer to a customer without consent, an offer repeated within 14 days, more than 3 per turn.
Two rounds of simulated feedback follow (relevant offers accepted, the rest declined) and the
metrics are taken again. Seeded and deterministic; writes var/eval/offers-<seed>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from offers.catalogue import ALLERGENS, Catalogue, Offer, Product, load_catalogue  # noqa: E402
from offers.embeddings import SemanticIndex, semantic_index  # noqa: E402
from offers.ranking import Fact, Habit, OfferEvent, rank_offers  # noqa: E402
from offers.vocabulary import fold  # noqa: E402

DAY = date(2026, 11, 28)  # a Saturday: weekday and weekend offers both run
REPEAT_DAYS, PER_TURN = 14, 3
DIETS = ("vegetarian", "vegan", "halal", "gluten-free", "pescatarian")


@dataclass
class Customer:
    cid: int
    likes: list[str]
    allergens: list[str]
    diets: list[str]
    dislikes: list[str]
    consent: bool
    weekend_shopper: bool
    history: list[OfferEvent] = field(default_factory=list)

    def facts(self) -> list[Fact]:
        at = datetime(2026, 3, 3, 10, tzinfo=UTC)
        out = [Fact(w, "like", None, f"I love {w}", "web", at) for w in self.likes]
        out += [Fact(a, "avoid", "allergy", f"allergic to {a}", "web", at) for a in self.allergens]
        out += [Fact(d, "avoid", "diet", f"I'm {d}", "web", at) for d in self.diets]
        out += [Fact(w, "dislike", None, f"I hate {w}", "web", at) for w in self.dislikes]
        return out

    def habits(self) -> list[Habit]:
        at = datetime(2026, 3, 3, 10, tzinfo=UTC)
        return [Habit("shops", "Saturday", "I come on Saturdays", "web", at)] * bool(
            self.weekend_shopper
        )


def identity_words(p: Product) -> set[str]:
    return {fold(t) for t in (p.name, *p.tags, *p.synonyms)}


def breaks(p: Product, c: Customer) -> bool:
    """The ground truth's own constraint check (not the ranking's)."""
    if set(c.allergens) & set(p.allergens):
        return True
    if any(d not in p.diets for d in c.diets):
        return True
    words = {fold(t) for t in (p.name, p.category, *p.tags, *p.synonyms)}
    return any(fold(w) in words for w in c.dislikes)


def matches(p: Product, like: str) -> bool:
    liked = fold(like)
    return any(liked == w or f" {liked} " in f" {w} " for w in identity_words(p))


def generate(cat: Catalogue, n: int, rng: random.Random) -> list[Customer]:
    words = sorted({fold(t) for p in cat.products for t in (p.name, *p.tags)})
    customers = []
    for cid in range(n):
        customers.append(
            Customer(
                cid=cid,
                likes=rng.sample(words, rng.randint(1, 3)),
                allergens=rng.sample(ALLERGENS, rng.choice([0, 0, 1, 1, 2])),
                diets=rng.sample(DIETS, 1) if rng.random() < 0.15 else [],
                dislikes=rng.sample(words, rng.choice([0, 1, 1, 2])),
                consent=rng.random() >= 0.1,
                weekend_shopper=rng.random() < 0.3,
            )
        )
    return customers


@dataclass
class Tally:
    turns: int = 0
    shown: int = 0
    violations: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("constraint", "validity", "consent", "repeat", "per_turn"), 0
        )
    )
    hits: int = 0
    scored: int = 0  # customers with consent and at least one relevant offer
    precision_sum: float = 0.0

    def add(
        self,
        cat: Catalogue,
        c: Customer,
        shown: Sequence[Offer],
        day: date,
        relevant: set[str],
        narrowed: dict[str, tuple[Product, ...]] | None = None,
    ) -> None:
        narrowed = narrowed or {}
        self.turns += 1
        self.shown += len(shown)
        recent = {e.offer_id for e in c.history if (day - e.at.date()).days < REPEAT_DAYS}
        v = self.violations
        v["per_turn"] += len(shown) > PER_TURN
        for o in shown:
            # What the customer is offered: a collection narrowed to what fits is only that.
            offered = narrowed.get(o.id) or cat.products_of(o)
            v["constraint"] += any(breaks(p, c) for p in offered)
            v["validity"] += not o.is_available_on(day)
            v["consent"] += not c.consent
            v["repeat"] += o.id in recent
        if c.consent and relevant:
            hit = sum(o.id in relevant for o in shown[:3])
            self.hits += hit
            self.scored += 1
            self.precision_sum += hit / 3

    def row(self) -> dict[str, float | int]:
        return {
            "precision_at_3": round(self.precision_sum / self.scored, 4) if self.scored else 0.0,
            "violations": sum(self.violations.values()),
            **{f"violations_{k}": n for k, n in self.violations.items()},
            "customers_scored": self.scored,
            "offers_shown": self.shown,
        }


System = Callable[[Customer, date], list[Offer]]


def allowed(cat: Catalogue, c: Customer, day: date) -> list[Offer]:
    """What a baseline may show: the same hard rules, from the ground truth's own check."""
    if not c.consent:
        return []
    recent = {e.offer_id for e in c.history if (day - e.at.date()).days < REPEAT_DAYS}
    return [
        o
        for o in cat.offers
        if o.is_available_on(day)
        and o.id not in recent
        and not any(breaks(p, c) for p in cat.products_of(o))
    ]


def evaluate(args: argparse.Namespace) -> dict[str, object]:
    cat = load_catalogue(ROOT / "catalogue" / "demo.yml")
    semantic: SemanticIndex | None = None if args.no_semantic else semantic_index(cat)
    # Popularity from another generated population: how many of them an offer would please.
    crowd = generate(cat, 2000, random.Random(args.seed + 1))
    popularity = {
        o.id: sum(any(matches(p, w) for p in cat.products_of(o) for w in c.likes) for c in crowd)
        for o in cat.offers
    }

    narrowed: dict[str, tuple[Product, ...]] = {}

    def rapport(c: Customer, day: date) -> list[Offer]:
        ranked = rank_offers(
            cat,
            c.facts(),
            today=day,
            consent=c.consent,
            history=c.history,
            habits=c.habits(),
            semantic=semantic,
        )
        narrowed.clear()
        narrowed.update({r.offer.id: r.products for r in ranked if r.narrowed_by})
        return [r.offer for r in ranked]

    def popular(c: Customer, day: date) -> list[Offer]:
        return sorted(allowed(cat, c, day), key=lambda o: (-popularity[o.id], o.id))[:PER_TURN]

    def random_pick(c: Customer, day: date) -> list[Offer]:
        pool = allowed(cat, c, day)
        return random.Random(f"{args.seed}-{c.cid}-{day}-{len(c.history)}").sample(
            pool, min(PER_TURN, len(pool))
        )

    systems: dict[str, System] = {
        "rapport": rapport,
        "most popular": popular,
        "random": random_pick,
    }
    rounds = [DAY - timedelta(days=30), DAY - timedelta(days=15), DAY]
    results: dict[str, dict[str, dict[str, float | int]]] = {}
    for name, system in systems.items():
        customers = generate(cat, args.customers, random.Random(args.seed))
        per_round: dict[str, dict[str, float | int]] = {}
        for n, day in enumerate(rounds):
            tally = Tally()
            for c in customers:
                relevant = {
                    o.id
                    for o in allowed(cat, c, day)
                    if any(matches(p, w) for p in cat.products_of(o) for w in c.likes)
                }
                shown = system(c, day)
                tally.add(cat, c, shown, day, relevant, narrowed if name == "rapport" else None)
                at = datetime.combine(day, clock(10), tzinfo=UTC)
                for o in shown:  # the customer answers: yes to what they like, no otherwise
                    c.history.append(OfferEvent(o.id, "presented", at))
                    kind = "accepted" if o.id in relevant else "declined"
                    c.history.append(OfferEvent(o.id, kind, at + timedelta(minutes=1)))
                # "Something else" in the same turn: never what was just shown.
                more = system(c, day)
                tally.add(cat, c, more, day, set(), narrowed if name == "rapport" else None)
                c.history.extend(OfferEvent(o.id, "presented", at) for o in more)
            label = "before feedback" if n == 0 else f"after {n} feedback round{'s' * (n > 1)}"
            per_round[label] = tally.row()
        results[name] = per_round
    return {
        "customers": args.customers,
        "seed": args.seed,
        "day": DAY.isoformat(),
        "semantic": not args.no_semantic,
        "results": results,
    }


def table(report: dict[str, object]) -> str:
    results = report["results"]
    assert isinstance(results, dict)
    lines = [
        f"{'system':<14} {'round':<24} {'P@3':>6} {'violations':>10} {'scored':>7} {'shown':>6}",
        "-" * 72,
    ]
    for name, rounds in results.items():
        for label, row in rounds.items():
            lines.append(
                f"{name:<14} {label:<24} {row['precision_at_3']:>6.3f} {row['violations']:>10} "
                f"{row['customers_scored']:>7} {row['offers_shown']:>6}"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-semantic", action="store_true", help="lexical likes only")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "eval")
    args = parser.parse_args()
    started = time.perf_counter()
    report = evaluate(args)
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(table(report))
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "-lexical" if args.no_semantic else ""
    path = args.out / f"offers-{args.seed}{suffix}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {path.relative_to(ROOT)} ({report['seconds']} s)")
    rapport_rows = report["results"]["rapport"]  # type: ignore[index]
    return 1 if any(row["violations"] for row in rapport_rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
