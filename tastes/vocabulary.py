"""The shop's words for things, so that what a customer says lands on a term the catalogue knows."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from tastes.text import Token, nlp, tokens

# Allergen families as the catalogue declares them (EU Annex II); a constraint on any member is a
# constraint on the family, so that "allergic to walnuts" filters every product containing nuts.
ALLERGEN_FAMILIES: dict[str, tuple[str, ...]] = {
    "nuts": (
        "nut",
        "nuts",
        "tree nut",
        "tree nuts",
        "walnut",
        "hazelnut",
        "almond",
        "cashew",
        "pecan",
        "pistachio",
        "macadamia",
        "brazil nut",
        "pine nut",
        "praline",
    ),
    "peanuts": ("peanut", "peanuts", "groundnut", "peanut butter", "peanut oil", "arachis"),
    "shellfish": (
        "shellfish",
        "crustacean",
        "prawn",
        "shrimp",
        "crab",
        "lobster",
        "crayfish",
        "langoustine",
        "scampi",
    ),
    "molluscs": ("mollusc", "mollusk", "mussel", "oyster", "clam", "scallop", "squid", "octopus"),
    "milk": ("milk", "dairy", "lactose", "cow's milk", "whey", "casein", "dairy product"),
    "gluten": ("gluten", "wheat", "barley", "rye", "spelt"),
    "egg": ("egg", "eggs"),
    "fish": ("fish",),
    "sesame": ("sesame", "sesame seed", "tahini"),
    "soy": ("soy", "soya", "soybean", "soya bean", "soy sauce"),
    "celery": ("celery", "celeriac"),
    "mustard": ("mustard",),
    "sulphites": ("sulphite", "sulfite", "sulphur dioxide", "sulfur dioxide"),
    "lupin": ("lupin", "lupine"),
}

DIETS: tuple[str, ...] = ("vegetarian", "vegan", "pescatarian")
RELIGIOUS_DIETS: tuple[str, ...] = ("halal", "kosher")
# Exact by definition: a diet's name says its reason, and the diet is stored under one name.
DIET_NAMES = {
    "vegetarian": ("vegetarian", "diet"),
    "veggie": ("vegetarian", "diet"),
    "vegetarians": ("vegetarian", "diet"),
    "vegan": ("vegan", "diet"),
    "vegans": ("vegan", "diet"),
    "plant based": ("vegan", "diet"),
    "plant-based": ("vegan", "diet"),
    "pescatarian": ("pescatarian", "diet"),
    "pescetarian": ("pescatarian", "diet"),
    "halal": ("halal", "religion"),
    "kosher": ("kosher", "religion"),
    "coeliac": ("gluten", "health"),
    "celiac": ("gluten", "health"),
    "gluten": ("gluten", None),
}
# The words that name a diet kept (not "gluten", which is a food): said of oneself they are an
# avoid with its reason, read by rule, and never part of another food's name.
DIET_WORDS = frozenset(k for k, (_, reason) in DIET_NAMES.items() if reason is not None)


# General food words customers use that a catalogue rarely lists as products.
_GENERAL_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("meat", ("meats",)),
    ("red meat", ()),
    ("fish", ()),
    ("seafood", ("sea food",)),
    ("poultry", ()),
    ("game", ("game meat",)),
    ("offal", ("organ meat", "organ meats")),
    ("beef", ()),
    ("pork", ()),
    ("lamb", ()),
    ("mutton", ()),
    ("veal", ()),
    ("chicken", ()),
    ("duck", ()),
    ("turkey", ()),
    ("venison", ()),
    ("rabbit", ()),
    ("goat", ()),
    ("ham", ()),
    ("bacon", ()),
    ("sausages", ()),
    ("salami", ()),
    ("charcuterie", ()),
    ("liver", ()),
    ("kidneys", ()),
    ("tripe", ()),
    ("cheese", ()),
    ("blue cheese", ()),
    ("goat cheese", ("goat's cheese", "goats cheese", "chèvre")),
    ("dairy", ("dairy products",)),
    ("lactose", ()),
    ("wine", ()),
    ("red wine", ()),
    ("white wine", ()),
    ("bread", ()),
    ("chocolate", ()),
    ("garlic", ()),
    ("onions", ()),
    ("mushrooms", ()),
    ("spicy food", ("spicy", "spicy dishes")),
    ("salt", ("sodium",)),
    ("sugar", ()),
    ("alcohol", ()),
    ("eggs", ()),
    ("walnuts", ()),
    ("hazelnuts", ()),
    ("almonds", ()),
    ("cashews", ()),
    ("pistachios", ()),
    ("prawns", ()),
    ("shrimp", ()),
    ("crab", ()),
    ("lobster", ()),
    ("mussels", ()),
    ("oysters", ()),
    ("scallops", ()),
)

_BUILT_IN: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("nuts", ("nut", "tree nuts", "tree nut")),
    ("peanuts", ("peanut", "groundnuts")),
    ("shellfish", ("crustaceans",)),
    ("molluscs", ("mollusks",)),
    ("milk", ("cow's milk",)),
    ("gluten", ()),
    ("egg", ()),
    ("sesame", ("sesame seeds",)),
    ("soy", ("soya",)),
    ("celery", ()),
    ("mustard", ()),
    ("sulphites", ("sulfites",)),
    ("lupin", ()),
    ("vegetarian", ("veggie", "vegetarian diet")),
    ("vegan", ("plant based", "plant-based")),
    ("pescatarian", ("pescetarian",)),
    ("halal", ()),
    ("kosher", ()),
    *_GENERAL_WORDS,
)

# Lower priority loses ties between equally long matches: a catalogue product beats a category
# name, which beats a general word ("Comté cheese" is Comté).
_BUILT_IN_PRIORITY, _CATEGORY_PRIORITY, _CATALOGUE_PRIORITY = 0, 1, 2

_LEADING = re.compile(
    r"^(?:(?:the|a|an|some|any|my|our|your|his|her|their|this|that|these|those|all|most|much|many"
    r"|more|lots of|a lot of|plenty of|kind of|kinds of|sort of|sorts of|type of|types of"
    r"|any kind of|all kinds of|all sorts of|good|nice|lovely|delicious|tasty|great|wonderful"
    r"|amazing|excellent|gorgeous|fabulous|beautiful|yummy|proper|real|really|also|even|just"
    r"|very|quite|particularly|especially|eating|to eat|having|to have|cooking|to cook|trying"
    r"|to try|buying|to buy)\s+)+",
)
_TRAILING = re.compile(
    r"(?:\s+(?:for me|for us|at all|very much|so much|a lot|too|either|as well|also|really|anymore"
    r"|any more|though|please|thanks|thank you|much|then|now|in general|generally|especially"
    r"|mostly|in particular|either way|actually))+$",
)


def clean_phrase(phrase: str) -> str:
    """A phrase without articles, possessives, praise words and filler, in lower case."""
    text = " ".join(phrase.lower().replace("\u2019", "'").split())
    text = text.strip(" ,.;:!?-\"'()")
    previous = None
    while previous != text:
        previous = text
        text = _LEADING.sub("", text)
        text = _TRAILING.sub("", text).strip(" ,.;:!?-\"'()")
    return text


@dataclass(frozen=True)
class Term:
    canonical: str
    category: str | None
    priority: int


@dataclass(frozen=True)
class Found:
    """A vocabulary term found in a phrase, by token positions."""

    term: Term
    start: int
    end: int


class Vocabulary:
    """Catalogue terms, synonyms and built-in food words; case, accents and plurals don't matter."""

    def __init__(self, terms: dict[tuple[str, ...], Term]) -> None:
        self._by_key = terms
        self._spelled_cache: dict[tuple[str, int], list[str]] | None = None
        self._matcher = PhraseMatcher(nlp().vocab, attr="LOWER")
        self._ids: dict[int, tuple[str, ...]] = {}
        strings = nlp().vocab.strings
        for key in terms:
            label = " ".join(key)
            self._ids[strings.add(label)] = key
            self._matcher.add(label, [Doc(nlp().vocab, words=list(key))])
        canonical: dict[str, None] = {}
        for term in terms.values():
            canonical.setdefault(term.canonical, None)
        self._terms = list(canonical)

    @classmethod
    def from_entries(cls, entries: Iterable[tuple[str, str | None, Iterable[str]]]) -> Vocabulary:
        """Build from (canonical term, category, synonyms) plus the built-in food words."""
        materialised = [
            (" ".join(str(c).split()), cat, tuple(str(s) for s in syns)) for c, cat, syns in entries
        ]
        category_names: dict[tuple[str, ...], str] = {}
        for _, category, _ in materialised:
            if category and category.strip():
                category_names.setdefault(_phrase_key(category), " ".join(category.split()))
        # A tag shared by products of several categories takes the most common one.
        seen_categories: dict[tuple[str, ...], Counter[str]] = {}
        for canonical, category, _ in materialised:
            if category:
                seen_categories.setdefault(_phrase_key(canonical), Counter())[category] += 1
        terms: dict[tuple[str, ...], Term] = {}
        ranks: dict[tuple[str, ...], tuple[int, bool]] = {}
        for canonical, _, synonyms in materialised:
            key = _phrase_key(canonical)
            if not key:
                continue
            counted = seen_categories.get(key)
            category = counted.most_common(1)[0][0] if counted else None
            priority = _CATALOGUE_PRIORITY
            if key in category_names:
                category, priority = category_names[key], _CATEGORY_PRIORITY
            term = Term(canonical, category, priority)
            for phrase in (canonical, *synonyms):
                phrase_key = _phrase_key(phrase)
                # A term's own name beats another term's synonym: the tag "comté" is Comté, even
                # if one product lists "comte" among its synonyms.
                rank = (priority, phrase_key == key)
                if phrase_key and (phrase_key not in ranks or ranks[phrase_key] < rank):
                    terms[phrase_key], ranks[phrase_key] = term, rank
        for category_key, name in category_names.items():
            if category_key and category_key not in terms:
                terms[category_key] = Term(name, name, _CATEGORY_PRIORITY)
        for canonical, synonyms in _BUILT_IN:
            known = terms.get(_phrase_key(canonical))
            term = known or Term(canonical, None, _BUILT_IN_PRIORITY)
            for phrase in (canonical, *synonyms):
                terms.setdefault(_phrase_key(phrase), term)
        return cls(terms)

    def terms(self) -> list[str]:
        """Every canonical term, catalogue terms first."""
        return list(self._terms)

    def normalise(self, phrase: str) -> tuple[str, str | None, bool]:
        """(canonical subject, category, matched_vocabulary) for a customer's phrase."""
        cleaned = clean_phrase(phrase)
        toks = tokens(cleaned)
        exact = self._by_key.get(tuple(t.key for t in toks))
        if exact is not None:
            return exact.canonical, exact.category, True
        best = self.best(self.find(toks))
        if best is not None:
            return best.term.canonical, best.term.category, True
        return cleaned, None, False

    def narrower(self, subject: str) -> list[str]:
        """Terms that name a kind of this subject by their head: 'paupiettes' -> veal paupiettes."""
        key = _phrase_key(subject)
        if not key:
            return []
        out: dict[str, None] = {}
        for term_key, term in self._by_key.items():
            if len(term_key) > len(key) and term_key[-len(key) :] == key:
                canonical = term.canonical
                if _phrase_key(canonical) != key:
                    out.setdefault(canonical, None)
        return list(out)

    def close(self, phrase: str, cutoff: float = 0.88) -> Term | None:
        """The term a misspelt phrase most likely means ('chiken' -> chicken), if one is close."""
        key = " ".join(_phrase_key(phrase))
        if len(key) < 5:
            return None
        # Only terms starting with the same letter and of about the same length can be that close.
        candidates = [
            k
            for n in range(len(key) - 2, len(key) + 3)
            for k in self._spelled().get((key[0], n), ())
        ]
        found = difflib.get_close_matches(key, candidates, n=1, cutoff=cutoff)
        return self._by_key[tuple(found[0].split())] if found else None

    def _spelled(self) -> dict[tuple[str, int], list[str]]:
        if self._spelled_cache is None:
            buckets: dict[tuple[str, int], list[str]] = {}
            for k in self._by_key:
                if k:
                    spelled = " ".join(k)
                    buckets.setdefault((spelled[0], len(spelled)), []).append(spelled)
            self._spelled_cache = buckets
        return self._spelled_cache

    def lookup(self, phrase: str) -> Term | None:
        """The term a whole phrase names exactly, if any."""
        return self._by_key.get(_phrase_key(phrase))

    def find(self, toks: list[Token]) -> list[Found]:
        """Non-overlapping vocabulary terms in a token list, longest first."""
        if not toks:
            return []
        doc = Doc(nlp().vocab, words=[t.key or "_" for t in toks])
        found = [
            Found(self._by_key[self._ids[match_id]], start, end)
            for match_id, start, end in self._matcher(doc)
        ]
        found.sort(key=lambda f: (-(f.end - f.start), -f.term.priority, f.start))
        taken: set[int] = set()
        kept: list[Found] = []
        for item in found:
            span = set(range(item.start, item.end))
            if not span & taken:
                kept.append(item)
                taken |= span
        return sorted(kept, key=lambda f: f.start)

    @staticmethod
    def best(found: list[Found]) -> Found | None:
        """The most telling term: longest, then most specific, then last (heads come last)."""
        if not found:
            return None
        return max(found, key=lambda f: (f.end - f.start, f.term.priority, f.start))


def _phrase_key(phrase: str) -> tuple[str, ...]:
    return tuple(t.key for t in tokens(" ".join(phrase.lower().split())) if t.key)


def allergen_family(subject: str) -> str | None:
    """The allergen family a subject belongs to ('walnuts' -> 'nuts'), if any."""
    key = _phrase_key(subject)
    if not key:
        return None
    best: tuple[int, str] | None = None
    for family, members in _family_keys().items():
        for member in members:
            n = len(member)
            # A member at the phrase's end is its head: "brazil nut" is nuts, "peanut" is not.
            is_head = key == member or (len(key) > n and key[-n:] == member)
            if is_head and (best is None or n > best[0]):
                best = (n, family)
    if best is None:
        for family, members in _family_keys().items():
            if any(len(key) > len(m) and key[: len(m)] == m for m in members):
                return family
    return best[1] if best else None


@lru_cache(maxsize=1)
def _family_keys() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Family member keys, computed on first use (the pipeline is not loaded at import)."""
    return {
        family: tuple(_phrase_key(m) for m in (family, *members))
        for family, members in ALLERGEN_FAMILIES.items()
    }


_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def proper_nouns(texts: Iterable[str]) -> frozenset[str]:
    """Words written with a capital inside sentences (Comté, Bayonne, Burgundy), lower-cased.

    Catalogue names start with a capital whatever the word is ("Veal paupiettes"), so only
    capitals after the first word of a sentence count, and a word also seen in lower case
    mid-sentence is a common noun.
    """
    capital: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        for sentence in re.split(r"[.!?:;\n]+", text):
            for i, match in enumerate(_WORD.finditer(sentence)):
                word = match.group(0)
                if i == 0:
                    continue
                (capital if word[0].isupper() else lower).add(word.lower())
    return frozenset(capital - lower)


def display_case(phrase: str, proper: frozenset[str]) -> str:
    """Lower case except proper nouns: 'Veal paupiettes' → 'veal paupiettes', 'comté' → 'Comté'."""
    return _WORD.sub(
        lambda m: m.group(0).capitalize() if m.group(0).lower() in proper else m.group(0).lower(),
        phrase,
    )
