"""Offers judged by people: what a sensible shopkeeper would suggest, per customer.

    .venv/bin/python scripts/eval_offers_judged.py [tests/heldout/offers_judged_*.jsonl]

Each line of the judged set is one customer in their own words (1 to 4 chat messages) and a
judgement of every demo offer for them, written apart from the ranking code: good, acceptable,
bad (a sensible shopkeeper would not suggest it) or unsafe; `narrowed` lists the offers that
are only fine once narrowed to the products that fit. The customer's messages go through the
same reader as in the conversation (the fact reader, habits, household; every fact it would
store or ask about counted as confirmed), then each system proposes 3 offers for the day the
set was judged. Reported, overall and per kind of customer:

- nDCG@3 (gains: good 2, acceptable 1, bad and unsafe 0; the ideal is the best 3 judged);
- the share of bad offers in the top 3, and the number of unsafe ones (an offer in `narrowed`
  shown whole, with the products the customer must avoid, counts as unsafe);
- Rapport's offers as the customer would read them (title, products, reason, notes), one line
  each in var/eval/offers-judged-reasons.jsonl, for a second reader to judge the reasons.
Systems: Rapport; the most popular allowed offers (popularity from the judged set's own good
counts would be cheating, so from generated customers as in eval_offers.py); random allowed
offers. Writes var/eval/offers-judged.json.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.actions.context import vocabulary_entries  # noqa: E402
from bot.actions.offering import ASKED_MESSAGES  # noqa: E402
from offers.catalogue import Catalogue, load_catalogue  # noqa: E402
from offers.embeddings import semantic_index  # noqa: E402
from offers.occasions import for_whom_note  # noqa: E402
from offers.ranking import (  # noqa: E402
    ASKED,
    Fact,
    Habit,
    RankedOffer,
    rank_offers,
    violates,
)
from offers.reasons import explain, narrowing_note  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from eval_offers import generate, matches  # noqa: E402

from tastes import Vocabulary, extract_habits, extract_household  # noqa: E402
from tastes.reader import shared_reader  # noqa: E402

DAY = date(2026, 11, 30)  # the day the set was judged
GAIN = {"good": 2.0, "acceptable": 1.0, "bad": 0.0, "unsafe": 0.0}
PER_TURN = 3


def profile(messages: list[str], vocabulary: Vocabulary) -> tuple[list[Fact], list[Habit]]:
    at = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC)
    reader = shared_reader()
    facts: list[Fact] = []
    habits: list[Habit] = []
    for text in messages:
        for f in reader.read(text, vocabulary, DAY):
            facts.append(
                Fact(f.subject, f.polarity, f.reason, text, "web", at, f.member, f.strength)
            )
        for h in [*extract_habits(text), *extract_household(text)]:
            habits.append(Habit(h.what, h.when, text, "web", at))
    # What they ask for in their last messages, as action_offer reads it (never stored).
    for text in messages[-ASKED_MESSAGES:]:
        facts += [Fact(s, ASKED, None, text, "web", at) for s in reader.asked_for(text, vocabulary)]
    return facts, habits


def ndcg(shown: list[str], judged: dict[str, str]) -> float:
    def dcg(gains: list[float]) -> float:
        return sum(g / math.log2(i + 2) for i, g in enumerate(gains))

    ideal = dcg(sorted((GAIN[j] for j in judged.values()), reverse=True)[:PER_TURN])
    return dcg([GAIN[judged.get(o, "bad")] for o in shown[:PER_TURN]]) / ideal if ideal else 0.0


def verdict(offer_id: str, narrowed_by_system: bool, line: dict[str, Any]) -> str:
    judged = str(line["judgements"].get(offer_id, "bad"))
    if offer_id in line.get("narrowed", []) and not narrowed_by_system:
        return "unsafe"  # shown whole: with the products this customer must avoid
    return judged


class Tally:
    def __init__(self) -> None:
        self.customers = 0
        self.ndcg = 0.0
        self.shown = 0
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, shown: list[tuple[str, bool]], line: dict[str, Any]) -> None:
        self.customers += 1
        verdicts = [verdict(o, narrowed, line) for o, narrowed in shown[:PER_TURN]]
        gains = {o: v for (o, _), v in zip(shown[:PER_TURN], verdicts, strict=True)}
        self.ndcg += ndcg([o for o, _ in shown], {**line["judgements"], **gains})
        self.shown += len(verdicts)
        for v in verdicts:
            self.counts[v] += 1

    def row(self) -> dict[str, Any]:
        return {
            "customers": self.customers,
            "ndcg_at_3": round(self.ndcg / self.customers, 3) if self.customers else 0.0,
            "bad_share": round(self.counts["bad"] / self.shown, 3) if self.shown else 0.0,
            "unsafe": self.counts["unsafe"],
            "good_share": round(self.counts["good"] / self.shown, 3) if self.shown else 0.0,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "eval" / "offers-judged.json")
    args = parser.parse_args()
    sets = args.sets or sorted((ROOT / "tests" / "heldout").glob("offers_judged_*.jsonl"))
    lines = [json.loads(x) for path in sets for x in path.read_text("utf-8").splitlines() if x]
    cat: Catalogue = load_catalogue(ROOT / "catalogue" / "demo.yml")
    vocabulary = Vocabulary.from_entries(vocabulary_entries(cat))
    semantic = semantic_index(cat)
    crowd = generate(cat, 2000, random.Random(8))
    popularity = {
        o.id: sum(any(matches(p, w) for p in cat.products_of(o) for w in c.likes) for c in crowd)
        for o in cat.offers
    }

    def allowed(facts: list[Fact]) -> list[str]:
        return [
            o.id
            for o in cat.offers
            if o.is_available_on(DAY) and not any(violates(p, facts) for p in cat.products_of(o))
        ]

    reasons: list[dict[str, Any]] = []

    def rapport(facts: list[Fact], habits: list[Habit], key: str) -> list[tuple[str, bool]]:
        ranked: list[RankedOffer] = rank_offers(
            cat, facts, today=DAY, habits=habits, semantic=semantic
        )
        full = {o.id: len(cat.products_of(o)) for o in cat.offers}
        for r in ranked:
            notes = [narrowing_note(r), for_whom_note(r.products, habits, DAY)]
            reasons.append(
                {
                    "customer": key,
                    "offer": r.offer.id,
                    "title": r.offer.title,
                    "products": [p.name for p in r.products],
                    "reason": f"I picked it {explain(r, today=DAY)}.",
                    "notes": [n for n in notes if n],
                }
            )
        return [(r.offer.id, len(r.products) < full[r.offer.id]) for r in ranked]

    def popular(facts: list[Fact], habits: list[Habit], key: str) -> list[tuple[str, bool]]:
        pool = sorted(allowed(facts), key=lambda o: (-popularity[o], o))
        return [(o, False) for o in pool[:PER_TURN]]

    def random_pick(facts: list[Fact], habits: list[Habit], key: str) -> list[tuple[str, bool]]:
        pool = allowed(facts)
        return [(o, False) for o in random.Random(key).sample(pool, min(PER_TURN, len(pool)))]

    systems = {"rapport": rapport, "most popular": popular, "random": random_pick}
    tallies: dict[str, defaultdict[str, Tally]] = {name: defaultdict(Tally) for name in systems}
    for n, line in enumerate(lines):
        facts, habits = profile(line["messages"], vocabulary)
        for name, system in systems.items():
            shown = system(facts, habits, str(line.get("id", n)))
            tallies[name]["all"].add(shown, line)
            tallies[name][str(line.get("kind", "?"))].add(shown, line)
        if (n + 1) % 25 == 0:
            print(f"  {n + 1}/{len(lines)} customers", flush=True)
    results: dict[str, dict[str, dict[str, Any]]] = {
        name: {kind: t.row() for kind, t in sorted(kinds.items())}
        for name, kinds in tallies.items()
    }
    report = {
        "customers": len(lines),
        "day": DAY.isoformat(),
        "sets": [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in sets],
        "results": results,
    }
    print(f"{'system':<14} {'kind':<16} {'nDCG@3':>7} {'bad':>6} {'unsafe':>7} {'good':>6}")
    for name, kinds in results.items():
        for kind, row in kinds.items():
            print(
                f"{name:<14} {kind:<16} {row['ndcg_at_3']:>7.3f} {row['bad_share']:>6.1%} "
                f"{row['unsafe']:>7} {row['good_share']:>6.1%}"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    said = {str(line.get("id", n)): line["messages"] for n, line in enumerate(lines)}
    with args.out.with_name("offers-judged-reasons.jsonl").open("w", encoding="utf-8") as out:
        for row in reasons:
            out.write(json.dumps({"said": said[row["customer"]], **row}, ensure_ascii=False))
            out.write("\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
