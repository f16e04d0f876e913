"""Shared text handling: safe input, the one spaCy pipeline, matching keys and clause splitting."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from spacy.language import Language

# Safe input lives in tastes.cleaning (standard library only: the Rasa process imports it too).
from tastes.cleaning import MAX_CHARS, clean_input  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)


def fold(text: str) -> str:
    """Lower case, one char per char, so offsets in the folded text address the original."""
    out = []
    for char in text:
        low = char.lower()
        out.append(low if len(low) == 1 else char)
    return "".join(out)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_lock = threading.Lock()
_nlp: Language | None = None
_lemmas: dict[str, str] | None = None


def nlp() -> Language:
    """The process's one blank English pipeline with the lookup lemmatizer, made on first use."""
    global _nlp, _lemmas
    if _nlp is not None:
        return _nlp
    with _lock:
        if _nlp is None:
            import spacy

            pipeline = spacy.blank("en")
            lemmas: dict[str, str] = {}
            try:
                lemmatizer = pipeline.add_pipe("lemmatizer", config={"mode": "lookup"})
                pipeline.initialize()
                table = lemmatizer.lookups.get_table("lemma_lookup")  # type: ignore[attr-defined]
                # Only plural-looking entries matter for matching; a plain dict is faster to query.
                lemmas = {k: v for k, v in table.items() if isinstance(k, str) and k.endswith("s")}
            except Exception as error:  # noqa: BLE001 - any failure here degrades, never crashes
                log.warning(
                    "spaCy lookup lemmas unavailable (%s); using a rule singulariser", error
                )
                pipeline = spacy.blank("en")
            _lemmas = lemmas
            _nlp = pipeline
    return _nlp


def _lemma_table() -> dict[str, str]:
    nlp()
    return _lemmas or {}


_NO_STRIP = ("ss", "us", "is", "as", "'s")


def _singular_by_rule(word: str) -> str:
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_NO_STRIP):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes", "toes")):
        return word[:-2]
    return word[:-1]


@lru_cache(maxsize=8192)
def word_key(word: str) -> str:
    """The matching key of one word: lower case, no accents, singular."""
    low = word.lower()
    if low.endswith("s") and len(low) > 3:
        lemma = _lemma_table().get(low)
        low = lemma if lemma is not None else _singular_by_rule(low)
    return strip_accents(low)


@dataclass(frozen=True)
class Token:
    text: str
    key: str
    start: int
    end: int


# Possessive "'s" and lone hyphens carry no meaning for matching ("goat's cheese" = "goat cheese").
_SKIP_IN_KEYS = frozenset({"'s", "'", "-", "\u2013", "\u2014", '"'})


def tokens(text: str) -> list[Token]:
    """Tokens of a short phrase with their matching keys and character offsets."""
    doc = nlp().make_doc(text)
    out: list[Token] = []
    for tok in doc:
        if tok.is_space or tok.lower_ in _SKIP_IN_KEYS:
            continue
        out.append(Token(tok.text, word_key(tok.text), tok.idx, tok.idx + len(tok.text)))
    return out


@dataclass(frozen=True)
class Clause:
    """A piece of the message, with the marker word that introduced it ('but', 'except'...)."""

    start: int
    end: int
    marker: str | None


_SENTENCE_END = re.compile(r"[.!?;\n]+(?=\s|$)|[!?;\n]+")


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """Sentence spans; a dot inside a word or a number does not end one."""
    pos = 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() > pos:
            yield pos, match.start()
        pos = match.end()
    if pos < len(text):
        yield pos, len(text)


def trim(text: str, start: int, end: int, chars: str = ' ,:-\t\r"()') -> tuple[int, int]:
    """Narrow a span so that it neither starts nor ends with padding."""
    while start < end and text[start] in chars:
        start += 1
    while end > start and text[end - 1] in chars:
        end -= 1
    return start, end


def split_at(
    text: str,
    start: int,
    end: int,
    pattern: re.Pattern[str],
) -> list[tuple[int, int, str | None]]:
    """Split a span at every match of pattern (group 'm' names the marker, if any)."""
    pieces: list[tuple[int, int, str | None]] = []
    pos, marker = start, None
    for match in pattern.finditer(text, start, end):
        pieces.append((pos, match.start(), marker))
        pos = match.end()
        marker = match.groupdict().get("m")
        marker = marker.strip() if marker else None
    pieces.append((pos, end, marker))
    return pieces
