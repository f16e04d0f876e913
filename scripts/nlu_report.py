"""Summarise `rasa test nlu --cross-validation` reports: macro-F1, weakest classes, confusions.

    python scripts/nlu_report.py results/nlu

Reads intent_report.json and the entity extractors' *_report.json that Rasa wrote (the
confusion matrix image is results/nlu/intent_confusion_matrix.png), prints the figures the
targets are set on (intent macro-F1 >= 0.95, entity F1 >= 0.90) and exits 1 below them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

INTENT_TARGET = 0.95
ENTITY_TARGET = 0.90
SUMMARY_KEYS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def classes(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in report.items() if k not in SUMMARY_KEYS and isinstance(v, dict)}


def main(argv: list[str]) -> int:
    folder = Path(argv[1] if len(argv) > 1 else "results/nlu")
    intent = json.loads((folder / "intent_report.json").read_text(encoding="utf-8"))
    macro = float(intent["macro avg"]["f1-score"])
    print(f"intent macro-F1 {macro:.3f} (target {INTENT_TARGET}), weighted "
          f"{intent['weighted avg']['f1-score']:.3f}")  # fmt: skip
    per_class = classes(intent)
    print("weakest intents:")
    for name, row in sorted(per_class.items(), key=lambda kv: kv[1]["f1-score"])[:6]:
        confused = row.get("confused_with") or {}
        worst = ", ".join(f"{k} x{v}" for k, v in list(confused.items())[:3])
        print(f"  {name:24} F1 {row['f1-score']:.3f}  n={row['support']}  {worst}")
    ok = macro >= INTENT_TARGET
    for path in sorted(folder.glob("*_report.json")):
        if path.name.startswith(("intent", "response")):
            continue
        entity = json.loads(path.read_text(encoding="utf-8"))
        avg = entity.get("micro avg") or entity.get("weighted avg") or {}
        f1 = float(avg.get("f1-score", 0.0))
        per = ", ".join(f"{k} {v['f1-score']:.3f}" for k, v in classes(entity).items())
        print(f"{path.stem}: entity F1 {f1:.3f} (target {ENTITY_TARGET}); {per}")
        ok = ok and f1 >= ENTITY_TARGET
    print(f"confusion matrix: {folder / 'intent_confusion_matrix.png'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
