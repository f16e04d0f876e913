"""The words of one language the fact reader needs besides its examples (tastes/lang/<code>.yml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LANG_DIR = Path(__file__).resolve().parent / "lang"
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class TimeRule:
    pattern: re.Pattern[str]
    ends: str


@dataclass(frozen=True)
class Language:
    code: str
    spacy: str
    singular_members: tuple[str, ...]
    plural_members: tuple[str, ...]
    until: tuple[TimeRule, ...]
    numbers: dict[str, int]
    months: tuple[str, ...]
    weekdays: tuple[str, ...]
    diet_negated_after: tuple[str, ...] = ()
    diet_not_stated_after: tuple[str, ...] = ()
    asking_for: tuple[str, ...] = ()

    @property
    def asking(self) -> re.Pattern[str]:
        """Words before a food that ask for it ("looking for", "any deals on")."""
        return _cues(self.asking_for)

    @property
    def diet_negated(self) -> re.Pattern[str]:
        """Words before a diet name that deny it ("I'm not vegetarian")."""
        return _cues(self.diet_negated_after)

    @property
    def not_a_diet_stated(self) -> re.Pattern[str]:
        """Words before a diet name that make it a question or someone else's."""
        return _cues(self.diet_not_stated_after)

    @property
    def members(self) -> tuple[str, ...]:
        return self.singular_members + self.plural_members


def _words(raw: Any) -> tuple[str, ...]:
    return tuple(str(w).lower() for w in raw or ())


@lru_cache(maxsize=8)
def language(code: str = DEFAULT_LANGUAGE) -> Language:
    path = LANG_DIR / f"{code}.yml"
    if not path.is_file():
        raise ValueError(f"no language file {path}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    members = data.get("members") or {}
    return Language(
        code=code,
        spacy=str(data.get("spacy") or code),
        singular_members=_words(members.get("singular")),
        plural_members=_words(members.get("plural")),
        until=tuple(
            TimeRule(re.compile(rule["pattern"], re.IGNORECASE), str(rule["ends"]))
            for rule in data.get("until") or ()
        ),
        numbers={str(k).lower(): int(v) for k, v in (data.get("numbers") or {}).items()},
        months=_words(data.get("months")),
        weekdays=_words(data.get("weekdays")),
        diet_negated_after=_words(data.get("diet_negated_after")),
        diet_not_stated_after=_words(data.get("diet_not_stated_after")),
        asking_for=_words(data.get("asking_for")),
    )


@lru_cache(maxsize=8)
def _cues(words: tuple[str, ...]) -> re.Pattern[str]:
    """Whole words or phrases; a contraction ("n't") may end a word ("isn't")."""
    ending = ("'", "n'")
    whole = [re.escape(w) for w in words if not w.startswith(ending)]
    endings = [re.escape(w) for w in words if w.startswith(ending)]
    parts = [rf"\b(?:{'|'.join(whole)})\b"] if whole else []
    parts += [rf"(?:{'|'.join(endings)})\b"] if endings else []
    return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)
