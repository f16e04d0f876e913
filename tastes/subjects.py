"""The foods a message names: the shop's own words first, then what the learned tagger finds.

The catalogue matcher (lemmas, synonyms, plurals, accents: tastes.vocabulary) knows every product
and the general food words; the tagger (a spaCy NER component trained on bot/facts/) finds the
foods no list names ("rhubarb", "my nan's trifle") and the misspelt ones ("chiken"), which are
then put back on the shop's word when one is close.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tastes.text import tokens
from tastes.vocabulary import Vocabulary, clean_phrase

MAX_WORDS = 5  # a tagged "food" longer than this is a sentence, not a subject


@dataclass(frozen=True)
class Subject:
    """A food named in the message: where, in the customer's words, and in the shop's."""

    start: int
    end: int
    said: str
    name: str
    category: str | None
    known: bool  # the shop's vocabulary names it


def find_subjects(
    text: str, vocabulary: Vocabulary, tagged: Iterable[tuple[int, int]]
) -> list[Subject]:
    """Catalogue words, then the tagger's spans (character offsets) that overlap none of them."""
    toks = tokens(text)
    found: list[Subject] = []
    for item in vocabulary.find(toks):
        start, end = toks[item.start].start, toks[item.end - 1].end
        term = item.term
        said = text[start:end]
        found.append(Subject(start, end, said, _as_said(said, term.canonical), term.category, True))
    for start, end in tagged:
        start, end = _whole_words(text, start, end)
        if any(s.start < end and start < s.end for s in found):
            continue
        subject = _tagged(text, start, end, vocabulary)
        if subject is not None:
            found.append(subject)
    return sorted(found, key=lambda s: s.start)


def _as_said(said: str, canonical: str) -> str:
    """The shop's word, in the plural when the customer said it so ("walnuts", "sausages")."""
    low, canon = " ".join(said.lower().split()), canonical.lower()
    if low in (canon + "s", canon + "es"):
        return canonical + low[len(canon) :]
    if canon.endswith("y") and low == canon[:-1] + "ies":
        return canonical[:-1] + "ies"
    return canonical


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """A tagged span widened to whole words ('chik' of 'chiken' is 'chiken')."""
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "-"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "-"):
        end += 1
    return start, end


def _tagged(text: str, start: int, end: int, vocabulary: Vocabulary) -> Subject | None:
    said = text[start:end]
    cleaned = clean_phrase(said)
    if not cleaned or not any(c.isalpha() for c in cleaned) or len(cleaned.split()) > MAX_WORDS:
        return None
    name, category, known = vocabulary.normalise(cleaned)
    name = _as_said(cleaned, name)
    if not known:
        # A misspelt shop word, perhaps after a word the tagger took in ("luv comtee").
        words = cleaned.split()
        for first in range(len(words)):
            close = vocabulary.close(" ".join(words[first:]))
            if close is not None:
                name, category, known = close.canonical, close.category, True
                break
    return Subject(start, end, said, name, category, known)
