"""The foods a message names: the shop's own words first, then what the learned tagger finds.

The catalogue matcher (lemmas, synonyms, plurals, accents: tastes.vocabulary) knows every product
and the general food words; the tagger (a spaCy NER component trained on bot/facts/) finds the
foods no list names ("rhubarb", "my nan's trifle") and the misspelt ones ("chiken"), which are
then put back on the shop's word when one is close.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tastes.spelling import Speller
from tastes.text import tokens
from tastes.vocabulary import DIET_NAMES, DIET_WORDS, Term, Vocabulary, clean_phrase

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
    text: str,
    vocabulary: Vocabulary,
    tagged: Iterable[tuple[int, int]],
    speller: Speller | None = None,
) -> list[Subject]:
    """The shop's words and the tagger's spans (character offsets), one subject per food.

    A tagged span that overlaps or touches shop words is one food with them: "Iberico ham",
    "smoked mackrel", "aged Gouda" are not "ham", "smoked" and "aged".
    """
    toks = tokens(text)
    spans: list[tuple[int, int, Term | None]] = [
        (toks[i.start].start, toks[i.end - 1].end, i.term) for i in vocabulary.find(toks)
    ]
    diets = [(s, e) for s, e, t in spans if t is not None and _is_diet(t)]
    for s, e in tagged:
        for piece in _without(text, _whole_words(text, s, e), diets):
            spans.append((*piece, None))
    found: list[Subject] = []
    for start, end, terms, has_tag in _joined(text, spans):
        said = text[start:end]
        whole_term = len(terms) == 1 and terms[0][:2] == (start, end)
        if len(terms) == 1 and (not has_tag or whole_term):
            term = terms[0][2]
            found.append(
                Subject(start, end, said, _as_said(said, term.canonical), term.category, True)
            )
            continue
        subject = _tagged(text, start, end, vocabulary, [t for _, _, t in terms], speller)
        if subject is not None:
            found.append(subject)
    return found


def _joined(
    text: str, spans: list[tuple[int, int, Term | None]]
) -> list[tuple[int, int, list[tuple[int, int, Term]], bool]]:
    """Spans merged where they overlap or only spaces and hyphens lie between them, when a
    tagged span is among them (two shop words side by side stay two)."""
    groups: list[tuple[int, int, list[tuple[int, int, Term]], bool]] = []
    for start, end, term in sorted(spans, key=lambda s: (s[0], -s[1])):
        if groups:
            g_start, g_end, terms, has_tag = groups[-1]
            touching = start <= g_end or not text[g_end:start].strip(" -")
            diet = (term is not None and _is_diet(term)) or any(_is_diet(t) for *_, t in terms)
            if touching and not diet and (start < g_end or has_tag or term is None):
                merged = [*terms, (start, end, term)] if term is not None else terms
                groups[-1] = (g_start, max(g_end, end), merged, has_tag or term is None)
                continue
        groups.append((start, end, [(start, end, term)] if term else [], term is None))
    return groups


def _is_diet(term: Term) -> bool:
    return term.canonical.casefold() in DIET_WORDS


def _without(
    text: str, span: tuple[int, int], holes: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """A tagged span with the diet words in it taken out: "vegan chocoholic" is a diet and a
    chocoholic, "pescatarian - fish" a diet and fish."""
    pieces = [span]
    for h_start, h_end in holes:
        cut: list[tuple[int, int]] = []
        for s, e in pieces:
            if h_end <= s or h_start >= e:
                cut.append((s, e))
                continue
            cut += [(s, h_start), (h_end, e)]
        pieces = cut
    out = []
    for s, e in pieces:
        while s < e and not text[s].isalnum():
            s += 1
        while e > s and not text[e - 1].isalnum():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _as_said(said: str, canonical: str) -> str:
    """The shop's word, in the plural when the customer said it so ("walnuts", "sausages")."""
    low, canon = " ".join(said.lower().split()), canonical.lower()
    if low in (canon + "s", canon + "es"):
        return canonical + low[len(canon) :]
    if canon.endswith("y") and low == canon[:-1] + "ies":
        return canonical[:-1] + "ies"
    return canonical


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """A tagged span widened to whole words ('chik' of 'chiken' is 'chiken'), without a
    possessive ending ("tuna's gross" is about tuna)."""
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "-"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "-"):
        end += 1
    if end - start > 3 and text[end - 2 : end].lower() in ("'s", "’s"):
        end -= 2
    return start, end


def _tagged(
    text: str,
    start: int,
    end: int,
    vocabulary: Vocabulary,
    inside: list[Term],
    speller: Speller | None = None,
) -> Subject | None:
    """A food the tagger found, perhaps around shop words: the shop's term when the whole phrase
    is one, else the customer's phrase (with the category of the shop word in it)."""
    said = text[start:end]
    cleaned = clean_phrase(said)
    if not cleaned or not any(c.isalpha() for c in cleaned) or len(cleaned.split()) > MAX_WORDS:
        return None
    exact = vocabulary.lookup(cleaned)
    if exact is not None:
        return Subject(start, end, said, _as_said(cleaned, exact.canonical), exact.category, True)
    if inside:
        best = max(inside, key=lambda t: t.priority)
        return Subject(start, end, said, cleaned, best.category, True)
    name, category, known = vocabulary.normalise(cleaned)
    name = _as_said(cleaned, name)
    if not known and cleaned not in DIET_NAMES:
        # A misspelt shop word, perhaps after a word the tagger took in ("luv comtee").
        words = cleaned.split()
        for first in range(len(words)):
            close = vocabulary.close(" ".join(words[first:]))
            if close is not None:
                name, category, known = close.canonical, close.category, True
                break
        if not known and speller is not None:
            name = speller.correct(name)  # "gorgonzolla" -> "gorgonzola"
    return Subject(start, end, said, name, category, known)
