"""The annotated corpus the fact reader learns from: `bot/facts/*.yml`, one utterance per entry.

```yaml
version: "1"
language: en        # optional, "en" by default
examples:
  - text: "my husband can't stand rabbit but the kids love sausages"
    facts:
      - {subject: rabbit, polarity: dislike, strength: 2, who: husband}
      - {subject: sausages, polarity: like, strength: 2, who: kids}
  - text: "do you have lamb?"
    facts:
      - {subject: lamb, polarity: none}
```

`subject` is the words as written (a substring of `text`); every food mentioned is listed,
`none` where nothing is stated about it. Errors name the file and the example, so a designer
can fix a typo without reading Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

POLARITIES = ("like", "dislike", "avoid", "none")
REASONS = ("allergy", "intolerance", "diet", "religion", "health")
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "bot" / "facts"


class CorpusError(ValueError):
    """An example the reader cannot learn from, with where it is."""


@dataclass(frozen=True)
class Annotation:
    """One food mentioned in an example, where it is, and what was stated about it."""

    subject: str
    start: int
    end: int
    polarity: str
    strength: int = 1
    reason: str | None = None
    who: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class Example:
    text: str
    facts: tuple[Annotation, ...]
    source: str  # the file, relative to the corpus folder ("generated/variants.yml")
    language: str = "en"  # the file's `language:` (one reader is trained per language)

    @property
    def generated(self) -> bool:
        return self.source.startswith("generated/")


def _locate(text: str, subject: str, taken: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The first occurrence of subject (whole words, any case) not already annotated."""
    pattern = re.compile(r"(?<!\w)" + re.escape(subject) + r"(?!\w)", re.IGNORECASE)
    spans = [(m.start(), m.end()) for m in pattern.finditer(text)]
    for span in spans:
        if not any(s < span[1] and span[0] < e for s, e in taken):
            return span
    if spans:  # one mention, two facts ("my husband loves oysters but I can't stand them")
        return spans[0]
    found = text.lower().find(subject.lower())
    return (found, found + len(subject)) if found >= 0 else None


def _annotation(text: str, raw: Any, where: str, taken: list[tuple[int, int]]) -> Annotation:
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: each fact is a mapping with subject and polarity")
    subject = str(raw.get("subject") or "").strip()
    polarity = str(raw.get("polarity") or "").strip()
    if not subject:
        raise CorpusError(f"{where}: a fact has no subject")
    if polarity not in POLARITIES:
        raise CorpusError(f"{where}: polarity {polarity!r} is not one of {', '.join(POLARITIES)}")
    span = _locate(text, subject, taken)
    if span is None:
        raise CorpusError(f"{where}: subject {subject!r} is not in the text")
    taken.append(span)
    reason = raw.get("reason")
    if reason is not None and (polarity != "avoid" or reason not in REASONS):
        raise CorpusError(
            f"{where}: reason {reason!r} only goes with avoid, as one of {', '.join(REASONS)}"
        )
    try:
        strength = abs(int(raw.get("strength") or 1))
    except (TypeError, ValueError) as exc:
        raise CorpusError(f"{where}: strength is 1 (mild) or 2 (strong)") from exc
    return Annotation(
        subject=subject,
        start=span[0],
        end=span[1],
        polarity=polarity,
        strength=min(max(strength, 1), 2),
        reason=reason,
        who=(str(raw["who"]).strip().lower() or None) if raw.get("who") else None,
        until=str(raw["until"]).strip() if raw.get("until") else None,
    )


def parse(document: Any, source: str) -> list[Example]:
    """Examples from one loaded YAML document; CorpusError on the first malformed entry."""
    if not isinstance(document, dict) or not isinstance(document.get("examples"), list):
        raise CorpusError(f"{source}: expected a mapping with an 'examples' list")
    language = str(document.get("language") or "en")
    out: list[Example] = []
    for number, entry in enumerate(document["examples"], 1):
        where = f"{source}, example {number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            raise CorpusError(f"{where}: needs a 'text'")
        text = entry["text"]
        facts = entry.get("facts") or []
        if not isinstance(facts, list):
            raise CorpusError(f"{where}: 'facts' is a list")
        taken: list[tuple[int, int]] = []
        annotations = tuple(_annotation(text, raw, f"{where} ({text!r})", taken) for raw in facts)
        out.append(Example(text, annotations, source, language))
    return out


def corpus_files(folder: Path = DEFAULT_DIR) -> list[Path]:
    return sorted(p for p in folder.rglob("*.yml") if p.is_file())


def load(paths: Iterable[Path] | None = None, folder: Path = DEFAULT_DIR) -> list[Example]:
    """Every example of the given files (default: every .yml under the corpus folder)."""
    examples: list[Example] = []
    for path in corpus_files(folder) if paths is None else paths:
        name = path.relative_to(folder).as_posix() if path.is_relative_to(folder) else path.name
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise CorpusError(f"{name}: cannot be read as YAML ({exc})") from exc
        examples.extend(parse(document, name))
    return examples


def dump(examples: Iterable[Example]) -> str:
    """YAML in the corpus format (what the generator writes)."""

    def facts(example: Example) -> Iterator[dict[str, Any]]:
        for a in example.facts:
            fact: dict[str, Any] = {"subject": a.subject, "polarity": a.polarity}
            if a.polarity in ("like", "dislike") and a.strength != 1:
                fact["strength"] = a.strength
            for key in ("reason", "who", "until"):
                if getattr(a, key):
                    fact[key] = getattr(a, key)
            yield fact

    examples = list(examples)
    entries = [{"text": e.text, "facts": list(facts(e))} for e in examples]
    language = examples[0].language if examples else "en"
    return yaml.safe_dump(
        {"version": "1", "language": language, "examples": entries},
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )
