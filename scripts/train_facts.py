"""Train the fact reader from bot/facts/ (`make train-facts`): models/facts/ and its report.

    .venv/bin/python scripts/train_facts.py [--catalogue catalogue/demo.yml] [--out models/facts]

Prints progress, the figures of each head on kept-out shapes and the thresholds; the full report
(per-class precision and recall, confusion matrices, the surest mistakes) is in
<out>/report.json. docs/designing.md explains how to read it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.actions.context import vocabulary_entries  # noqa: E402
from offers.catalogue import load_catalogue  # noqa: E402
from offers.embeddings import model_path  # noqa: E402
from tastes.corpus import CorpusError, load  # noqa: E402
from tastes.training import train  # noqa: E402
from tastes.vocabulary import Vocabulary  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", type=Path, default=ROOT / "catalogue" / "demo.yml")
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "facts")
    parser.add_argument("--language", default="en", help="train on the corpus files of it")
    parser.add_argument(
        "--base-model",
        type=Path,
        default=None,
        help="a sentence-transformers folder of that language (default: all-MiniLM-L6-v2)",
    )
    args = parser.parse_args()
    try:
        examples = [e for e in load() if e.language == args.language]
        source = args.base_model or model_path()
        if not examples:
            raise CorpusError(f"no example in language {args.language!r} in bot/facts/")
    except (CorpusError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    vocabulary = Vocabulary.from_entries(vocabulary_entries(load_catalogue(args.catalogue)))
    report = train(examples, vocabulary, source, args.out, code=args.language)
    d = report["decisions"]
    print(
        f"thresholds: store >= {report['thresholds']['store']}, confirm >= "
        f"{report['thresholds']['confirm']}; on kept-out shapes: {d['stored']} stored "
        f"({d['stored_right']} right), {d['confirmed']} confirmed ({d['confirmed_right']} right), "
        f"{d['facts_stored_or_confirmed']:.1%} of facts heard, avoids missed "
        f"{d['avoids_missed']}/{d['avoids']}"
    )
    print(f"trained in {report['seconds']} s -> {args.out} (report.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
