"""What the fact reader makes of a sentence (for designers): every food, each reading's probability.

.venv/bin/python scripts/read_facts.py "hi I'm Jo, peanuts could kill me" ["another" ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.actions.context import vocabulary_entries  # noqa: E402
from offers.catalogue import load_catalogue  # noqa: E402
from tastes.describe import describe  # noqa: E402
from tastes.encoder import EncoderMissing  # noqa: E402
from tastes.reader import shared_reader  # noqa: E402
from tastes.vocabulary import Vocabulary  # noqa: E402


def main() -> int:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    try:
        reader = shared_reader()
    except EncoderMissing as exc:
        raise SystemExit(f"error: {exc}") from exc
    vocabulary = Vocabulary.from_entries(
        vocabulary_entries(load_catalogue(ROOT / "catalogue" / "demo.yml"))
    )
    t = reader.thresholds
    print(
        f"(store at >= {t.store}, ask at >= {t.confirm}, an avoid always asked >= {t.avoid_safety})"
    )
    for text in sys.argv[1:]:
        print(f"\n{text!r}")
        for r in reader.readings(text, vocabulary):
            odds = ", ".join(
                f"{k} {v:.2f}" for k, v in sorted(r.polarity.items(), key=lambda kv: -kv[1])
            )
            reason = max(r.reason, key=lambda k: r.reason[k])
            found = "shop word" if r.subject.known else "tagged"
            print(f"  {r.subject.said!r} -> {r.subject.name!r} ({found}): {odds}")
            print(
                f"      strong {r.strong:.2f}; reason if avoided: {reason}; "
                f"about someone at home {r.member:.2f}"
            )
        for fact in reader.read(text, vocabulary):
            what = "store" if fact.confident else "ask"
            print(f"  => {what}: {describe(fact)} ({fact.confidence:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
