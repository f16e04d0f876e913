"""Choosing offers for one customer: hard filters from what they avoid, then a score from likes.

Pure functions over a Catalogue and the customer's stated facts. The order of work is the
contract: an offer is dropped before any scoring if it is not running today or if any of its
products is forbidden by an `avoid` or a `dislike`; only then do likes order what is left.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from offers.catalogue import Catalogue, Offer, Product
from offers.vocabulary import (
    ALLERGEN_GROUP_WORDS,
    MEAT_TAGS,
    Phrase,
    allergens_named,
    content_words,
    diets_named,
    forms,
    phrase,
)

LIKE, DISLIKE, AVOID = "like", "dislike", "avoid"

# How strongly a like matches one term of a product.
EXACT = 1.0  # "veal paupiettes" ~ "veal paupiettes"
BROADER = 0.8  # the customer's subject is part of the term: "cheese" ~ "goat cheese"
NARROWER = 0.5  # the term is part of the subject: "veal" ~ "veal paupiettes"
OVERLAP = 0.4  # scaled by the share of meaningful words in common: "red wine" ~ "white wine"
# An offer is as good as its best-matching like; further likes it matches only break near-ties.
OTHER_LIKES_WEIGHT = 0.25
# Words that undo the word they accompany: "gluten-free bread" does not contain gluten.
_NEGATING_BEFORE = frozenset({"no", "non", "without", "sans"})
_NEGATING_AFTER = frozenset({"free"})

_CHANNEL_WORDS = {
    "web": "on the website",
    "whatsapp": "on WhatsApp",
    "email": "by email",
    "rest": "here",
    "staff": "to our staff",
}
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
GENERAL_REASON = "it's one of this week's offers and fits everything you've told me"


@dataclass(frozen=True)
class Fact:
    """One stated fact of the customer, as the profile store holds it."""

    subject: str  # normalised subject: "veal paupiettes", "nuts", "vegetarian"
    polarity: str  # "like" | "dislike" | "avoid"
    reason: str | None  # for avoid: "allergy" | "intolerance" | "diet" | "religion" | "health"
    stated: str  # the customer's own words
    channel: str  # "web" | "whatsapp" | "email" | "rest" | "staff"
    at: datetime  # tz-aware UTC


@dataclass(frozen=True)
class RankedOffer:
    """An offer chosen for a customer, its products (matched ones first) and why."""

    offer: Offer
    products: tuple[Product, ...]
    score: float
    because: tuple[Fact, ...]  # the likes it answers, strongest first; empty for general offers


def _identity_texts(p: Product) -> list[str]:
    return [p.name, p.category, *p.tags, *p.synonyms]


def _texts_with_forms(texts: Iterable[str]) -> set[str]:
    terms: set[str] = set()
    for text in texts:
        terms |= forms(text)
    return terms


def product_terms(p: Product) -> set[str]:
    """Every lower-case word a customer might use for this product, in singular and plural.

    Name, category, tags, synonyms and allergens, plus group words implied by them ("meat" for
    a tag beef, "dairy" for milk, "seafood" for fish) so that a dislike of a group reaches them.
    """
    texts = _identity_texts(p) + list(p.allergens)
    texts += [word for allergen in p.allergens for word in ALLERGEN_GROUP_WORDS.get(allergen, ())]
    if MEAT_TAGS.intersection(p.tags):
        texts.append("meat")
    return _texts_with_forms(texts)


@lru_cache(maxsize=8192)
def _all_phrases(p: Product) -> frozenset[Phrase]:
    return frozenset(phrase(t) for t in product_terms(p)) - {()}


@lru_cache(maxsize=8192)
def _identity_phrases(p: Product) -> frozenset[Phrase]:
    # Likes match what a product is, not what it contains: "I love eggs" is not a reason to
    # offer a Bordeaux fined with egg white.
    return frozenset(phrase(t) for t in _texts_with_forms(_identity_texts(p))) - {()}


def _mentions(term: Phrase, subject: Phrase) -> bool:
    """True if `subject` occurs in `term` as whole words, not negated ("gluten-free", "sans")."""
    n = len(subject)
    for i in range(len(term) - n + 1):
        if term[i : i + n] != subject:
            continue
        before = term[i - 1] if i > 0 else ""
        after = term[i + n] if i + n < len(term) else ""
        if before not in _NEGATING_BEFORE and after not in _NEGATING_AFTER:
            return True
    return False


@dataclass(frozen=True)
class _Rule:
    """A forbidding fact, resolved once into what it excludes."""

    fact: Fact
    allergens: frozenset[str]
    diets: frozenset[str]
    subject: Phrase | None  # None when the subject names a diet: suitability decides alone

    def forbids(self, p: Product) -> bool:
        if self.allergens.intersection(p.allergens):
            return True
        if any(diet not in p.diets for diet in self.diets):
            return True
        return self.subject is not None and any(
            _mentions(term, self.subject) for term in _all_phrases(p)
        )


def _rules(facts: Iterable[Fact]) -> list[_Rule]:
    """Rules from avoids first, then dislikes, so the fact reported is the strongest one."""
    rules: list[_Rule] = []
    forbidding = [f for f in facts if f.polarity in (AVOID, DISLIKE)]
    for f in sorted(forbidding, key=lambda f: f.polarity != AVOID):
        subject = phrase(f.subject)
        if not subject:
            continue
        allergens = allergens_named(f.subject) if f.polarity == AVOID else frozenset()
        diets = diets_named(f.subject) if f.polarity == AVOID else frozenset()
        rules.append(_Rule(f, allergens, diets, None if diets else subject))
    return rules


def violates(p: Product, facts: Iterable[Fact]) -> Fact | None:
    """The fact that forbids offering this product, if any (avoids before dislikes)."""
    return _first_violation(p, _rules(facts))


def _first_violation(p: Product, rules: Sequence[_Rule]) -> Fact | None:
    return next((r.fact for r in rules if r.forbids(p)), None)


def _like_score(subject: Phrase, terms: Iterable[Phrase]) -> float:
    best = 0.0
    subject_words = content_words(subject)
    for term in terms:
        if term == subject:
            return EXACT
        if _mentions(term, subject):
            best = max(best, BROADER)
        elif content_words(term) and _mentions(subject, term):
            best = max(best, NARROWER)
        elif shared := subject_words & content_words(term):
            best = max(best, OVERLAP * len(shared) / len(subject_words | content_words(term)))
    return best


@dataclass(frozen=True)
class _Match:
    """How an offer's products answer the customer's likes."""

    score: float
    because: tuple[Fact, ...]
    products: tuple[Product, ...]  # matched products first


def _match(products: Sequence[Product], likes: Sequence[Fact]) -> _Match:
    matched: list[tuple[float, Fact]] = []
    product_best: dict[str, float] = {}
    for like in likes:
        subject = phrase(like.subject)
        if not subject:
            continue
        best = 0.0
        for p in products:
            s = _like_score(subject, _identity_phrases(p))
            product_best[p.sku] = max(product_best.get(p.sku, 0.0), s)
            best = max(best, s)
        if best > 0:
            matched.append((best, like))
    # Strongest first, then the most recently stated, then by subject for a stable order.
    matched.sort(key=lambda m: (-m[0], -m[1].at.timestamp(), m[1].subject))
    scores = [s for s, _ in matched]
    total = scores[0] + OTHER_LIKES_WEIGHT * sum(scores[1:]) if scores else 0.0
    ordered = sorted(products, key=lambda p: -product_best.get(p.sku, 0.0))
    return _Match(score=total, because=tuple(f for _, f in matched), products=tuple(ordered))


def rank_offers(
    catalogue: Catalogue,
    facts: Sequence[Fact],
    *,
    today: date,
    limit: int = 3,
    exclude_offer_ids: Collection[str] = (),
) -> list[RankedOffer]:
    """The best `limit` offers running today that break none of the customer's constraints.

    Offers matching a like come first (higher score first); offers matching none follow with
    score 0 as general suggestions. Ties are broken by offer id, so the result is deterministic.
    """
    if limit <= 0:
        return []
    rules = _rules(facts)
    likes = [f for f in facts if f.polarity == LIKE]
    ranked: list[RankedOffer] = []
    for offer in catalogue.offers:
        if offer.id in exclude_offer_ids or not offer.is_available_on(today):
            continue
        products = catalogue.products_of(offer)
        if not products or any(_first_violation(p, rules) for p in products):
            continue
        m = _match(products, likes)
        ranked.append(RankedOffer(offer, m.products, m.score, m.because))
    ranked.sort(key=lambda r: (-r.score, r.offer.id))
    return ranked[:limit]


def _day(at: datetime, today: date) -> str:
    day = at.astimezone(UTC).date() if at.tzinfo else at.date()
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    return text if day.year == today.year else f"{text} {day.year}"


def _told(f: Fact, today: date) -> str:
    quoted = '"' + " ".join(f.stated.split()).replace('"', "'") + '"'
    when = f"on {_day(f.at, today)}"
    if f.channel == "staff":
        return f"you said {_CHANNEL_WORDS['staff']} {when} that {quoted}"
    where = _CHANNEL_WORDS.get(f.channel)
    return f"you told me {where + ' ' if where else ''}{when} that {quoted}"


def explain(r: RankedOffer, *, today: date) -> str:
    """Why this offer, in the customer's own terms: the (at most two) strongest likes it answers."""
    if not r.because:
        return GENERAL_REASON
    return "because " + " and ".join(_told(f, today) for f in r.because[:2])
