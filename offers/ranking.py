"""Choosing offers for one customer: hard filters from what they avoid, then a score from likes.

Pure functions over a Catalogue and the customer's stated facts. The order of work is the
contract: an offer is dropped before any scoring if it is not running today or if any of its
products is forbidden by an `avoid` or a `dislike`; only then do likes order what is left.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from offers.catalogue import IMPLIED_DIETS, Catalogue, Offer, Product
from offers.embeddings import SemanticIndex
from offers.vocabulary import (
    ALLERGEN_GROUP_WORDS,
    MEAT_TAGS,
    Phrase,
    allergens_named,
    content_words,
    diets_named,
    fold,
    forms,
    phrase,
)

LIKE, DISLIKE, AVOID = "like", "dislike", "avoid"
# What the customer asks for now ("any deals on blue cheese?"): answered like a like this time,
# never stored, and given as "you asked for blue cheese".
ASKED = "asked"
PRESENTED, ACCEPTED, DECLINED = "presented", "accepted", "declined"

# How strongly a like matches one term of a product.
EXACT = 1.0  # "veal paupiettes" ~ "veal paupiettes"
BROADER = 0.8  # the customer's subject is part of the term: "cheese" ~ "goat cheese"
NARROWER = 0.5  # the term is part of the subject: "veal" ~ "veal paupiettes"
# An offer is as good as its best-matching like; further likes it matches only break near-ties.
OTHER_LIKES_WEIGHT = 0.25
# Words that undo the word they accompany: "gluten-free bread" does not contain gluten.
_NEGATING_BEFORE = frozenset({"no", "non", "without", "sans"})
_NEGATING_AFTER = frozenset({"free"})


@dataclass(frozen=True)
class Fact:
    """One stated fact of the customer, as the profile store holds it."""

    subject: str  # normalised subject: "veal paupiettes", "nuts", "vegetarian"
    polarity: str  # "like" | "dislike" | "avoid" | "asked" (this turn only, never stored)
    reason: str | None  # for avoid: "allergy" | "intolerance" | "diet" | "religion" | "health"
    stated: str  # the customer's own words
    channel: str  # "web" | "whatsapp" | "email" | "rest" | "staff"
    at: datetime  # tz-aware UTC
    # Who in the household it is about, in the customer's word ("husband", "kids"); None for
    # the customer. The customer shops for the household: a member's avoid or dislike filters
    # like the customer's own, a member's like counts as a like and is named in the reason.
    member: str | None = None
    strength: int | None = None  # like: 2 = love, 1 = like (None: unsaid)


@dataclass(frozen=True)
class Habit:
    """A habit the customer told us about, as the profile store holds it."""

    what: str  # "shops", "buys a case of wine"
    when: str | None  # "Saturday morning"
    stated: str
    channel: str
    at: datetime


@dataclass(frozen=True)
class OfferEvent:
    """What happened to an offer with this customer: presented, accepted or declined."""

    offer_id: str
    event: str  # "presented" | "accepted" | "declined"
    at: datetime  # tz-aware UTC


@dataclass(frozen=True)
class PastOffer:
    """An offer the customer accepted before, named in an explanation."""

    title: str
    at: datetime


@dataclass(frozen=True)
class RankedOffer:
    """An offer chosen for a customer, its products (matched ones first) and why."""

    offer: Offer
    products: tuple[Product, ...]
    score: float
    because: tuple[Fact, ...]  # the likes it answers, strongest first; empty for general offers
    liked: tuple[PastOffer, ...] = ()  # a similar offer the customer accepted before
    habit: Habit | None = None  # the habit that made it timely (weekend offers)
    discovery: bool = False  # close in meaning to a like, with no nameable link to it
    # For each fact of `because`, the distinctive word the offer shares with it when it is not
    # the thing itself ("duck": duck rillettes for "I love duck confit"); None when it is.
    kinds: tuple[str | None, ...] = ()
    # The facts that took products out of this offer (it is offered for `products` only).
    narrowed_by: tuple[Fact, ...] = ()
    # An offer made for a diet (Offer.for_diets): the diet and the avoid that says they keep it.
    kept: tuple[str, Fact] | None = None


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
    texts = _identity_texts(p) + list(p.allergens) + list(p.made_from)
    texts += [word for allergen in p.allergens for word in ALLERGEN_GROUP_WORDS.get(allergen, ())]
    if MEAT_TAGS.intersection(p.tags) or MEAT_TAGS.intersection(p.made_from):
        texts.append("meat")
    return _texts_with_forms(texts)


@lru_cache(maxsize=8192)
def _all_phrases(p: Product) -> frozenset[Phrase]:
    return frozenset(phrase(t) for t in product_terms(p)) - {()}


@lru_cache(maxsize=8192)
def _identity_phrases(p: Product) -> frozenset[Phrase]:
    # Likes match what a product is, not what it contains: "I love eggs" is not a reason to
    # offer a Bordeaux fined with egg white; nor what it is made from: "I love chicken" is
    # not a reason to offer a chicken liver terrine (made_from: [chicken]).
    phrases = {phrase(t) for t in _texts_with_forms(_identity_texts(p))}
    source = {w for m in _texts_with_forms(p.made_from) for w in phrase(m)}
    if source:
        phrases = {tuple(w for w in ph if w not in source) for ph in phrases}
    return frozenset(phrases) - {()}


@lru_cache(maxsize=8192)
def _sourced_phrases(p: Product) -> frozenset[Phrase]:
    """What it is with its source, said whole: a chicken liver terrine is "chicken liver" and
    a "chicken terrine" (a like of exactly that is answered), though it is not chicken."""
    sources = {phrase(m) for m in p.made_from} - {()}
    return frozenset(src + ph for src in sources for ph in _identity_phrases(p) if len(ph) == 1)


def _covers(terms: Collection[Phrase], subject: Phrase) -> bool:
    """True if a term mentions the subject, or two terms mention its two parts: "raw-milk
    cheese" is a product tagged "raw milk" whose kind is cheese (what is avoided is never let
    through for want of one term that says it all)."""
    if any(_mentions(term, subject) for term in terms):
        return True
    return any(
        any(_mentions(t, subject[:k]) for t in terms)
        and any(_mentions(t, subject[k:]) for t in terms)
        for k in range(1, len(subject))
    )


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
        return self.subject is not None and _covers(_all_phrases(p), self.subject)


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


def kept_diets(rules: Sequence[_Rule]) -> dict[str, Fact]:
    """The diets the customer (or their household) keeps, each with the avoid that says so:
    a vegan keeps vegetarian and pescatarian too; avoiding gluten is keeping gluten-free."""
    kept: dict[str, Fact] = {}
    for rule in rules:
        if rule.fact.polarity != AVOID:
            continue
        diets = set(rule.diets) | ({"gluten-free"} if "gluten" in rule.allergens else set())
        for diet in sorted(diets):
            for d in (diet, *IMPLIED_DIETS.get(diet, ())):
                kept.setdefault(d, rule.fact)
    return kept


def _diet_said(made_for: Sequence[str], kept: dict[str, Fact]) -> str | None:
    """The diet an offer is made for that the customer keeps, the one they named first: a
    vegan is offered the plant-based deli as vegan, not as vegetarian."""
    named = [d for d in made_for if d in kept and d in diets_named(kept[d].subject)]
    return next(iter(named), None) or next((d for d in made_for if d in kept), None)


def _like_score(subject: Phrase, terms: Iterable[Phrase]) -> float:
    """How well a product's terms answer a liked subject: the thing itself (exact, broader),
    or something sharing its distinctive word ("veal" for "veal paupiettes"). Sharing only the
    subject's head, the general kind ("cheese" of "goat cheese", "wine" of "white wine"), is
    no link: a goat cheese lover did not say they love every cheese."""
    best = 0.0
    subject_words = content_words(subject)
    head = next((w for w in reversed(subject) if w in subject_words), None)
    for term in terms:
        if term == subject:
            return EXACT
        if _mentions(term, subject):
            best = max(best, BROADER)
            continue
        shared = subject_words & content_words(term)
        if shared and head not in shared and _mentions(subject, term):
            best = max(best, NARROWER)
        # A word in common that is no whole term of the product ("cooked" of slow-cooked meat
        # and cooked prawns) is no link either.
    return best


@dataclass(frozen=True)
class RankingPolicy:
    """The shop's rules for how often and how many offers, and how much each signal weighs."""

    repeat_after_days: int = 14  # an offer shown (or answered) is not shown again sooner
    per_turn: int = 3  # at most this many offers in one answer
    semantic_threshold: float = 0.45  # cosine below which a product is not like the subject
    semantic_weight: float = 0.7  # a perfect semantic match weighs less than a BROADER lexical one
    habit_boost: float = 0.3  # weekend offers for a weekend shopper, from Thursday on
    feedback_weight: float = 0.4  # per accepted (+) or declined (-) similar offer
    feedback_days: int = 180  # answers older than this no longer steer the ranking
    diversity: float = 0.35  # MMR penalty for resembling an offer already chosen this turn
    # A customer who has said what they like is offered what answers it, not padded out with
    # this week's other offers (a shopkeeper would not push the fish on the steak lover).
    general_for_known_tastes: bool = False
    kept_diet_weight: float = 0.5  # an offer made for a diet the customer keeps (kosher, ...)


DEFAULT_POLICY = RankingPolicy()
_THURSDAY = 3
_WEEKEND_WORDS = frozenset({"saturday", "sunday", "weekend", "weekends", "saturdays", "sundays"})


def shops_at_weekend(h: Habit) -> bool:
    """True if the habit places the customer's shopping on a Saturday, Sunday or the weekend."""
    return bool(_WEEKEND_WORDS.intersection(fold(f"{h.when or ''} {h.what}").split()))


class _Index:
    """What ranking needs from one catalogue, precomputed once: sets and arrays, no text."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.products = catalogue.products
        self.row = {p.sku: i for i, p in enumerate(self.products)}
        self.has_source = np.asarray([bool(p.made_from) for p in self.products], dtype=bool)
        self.skus = tuple(p.sku for p in self.products)
        n = len(self.products)
        self.word_rows: dict[str, set[int]] = {}
        self.like_rows: dict[str, set[int]] = {}
        self.allergen_rows: dict[str, set[int]] = {}
        self.diet_rows: dict[str, set[int]] = {}
        for i, p in enumerate(self.products):
            for ph in _all_phrases(p):
                for w in ph:
                    self.word_rows.setdefault(w, set()).add(i)
            for ph in _identity_phrases(p) | _sourced_phrases(p):
                for w in content_words(ph):
                    self.like_rows.setdefault(w, set()).add(i)
            for a in p.allergens:
                self.allergen_rows.setdefault(a, set()).add(i)
            for d in p.diets:
                self.diet_rows.setdefault(d, set()).add(i)
        self.offers: list[Offer] = []
        members: list[npt.NDArray[np.int64]] = []
        for offer in catalogue.offers:
            rows = [self.row[p.sku] for p in catalogue.products_of(offer)]
            if rows:
                self.offers.append(offer)
                members.append(np.asarray(rows, dtype=np.int64))
        self.members = members
        self.position = {o.id: j for j, o in enumerate(self.offers)}
        self.flat = np.concatenate(members) if members else np.zeros(0, dtype=np.int64)
        self.starts = np.cumsum([0] + [len(m) for m in members[:-1]]).astype(np.int64)
        self.weekend = np.asarray([o.weekend for o in self.offers], dtype=bool)
        self.for_diets = [o.for_diets for o in self.offers]
        self.collection = np.asarray(
            [o.category is not None or o.tag is not None for o in self.offers], dtype=bool
        )
        self.offer_ids = [o.id for o in self.offers]
        categories: list[str] = []
        self.tags: list[frozenset[str]] = []
        for m in members:
            counts: dict[str, int] = {}
            for i in m:
                counts[self.products[i].category] = counts.get(self.products[i].category, 0) + 1
            # Ties go to the first product's counter: "côte de bœuf with a wine" is butcher's.
            categories.append(max(counts, key=lambda c: counts[c]))
            self.tags.append(frozenset(t for i in m for t in self.products[i].tags))
        codes = {c: k for k, c in enumerate(sorted(set(categories)))}
        self.category = np.asarray([codes[c] for c in categories], dtype=np.int64)
        self.category_names = categories
        self.size = n
        self._lock = threading.Lock()
        self._forbidden: dict[tuple[str, Phrase], npt.NDArray[np.bool_]] = {}
        self._lexical: dict[Phrase, npt.NDArray[np.float64]] = {}
        self._available: dict[date, npt.NDArray[np.bool_]] = {}
        self._similar: dict[tuple[int, int], npt.NDArray[np.float64]] = {}
        self._centroids: dict[int, npt.NDArray[np.float32]] = {}

    def per_offer_max(self, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """For each offer, the largest value among its products (rows of `values`)."""
        if not self.offers:
            return values[:0]
        return np.maximum.reduceat(values[self.flat], self.starts, axis=0)

    def available(self, day: date) -> npt.NDArray[np.bool_]:
        with self._lock:
            found = self._available.get(day)
        if found is None:
            found = np.asarray([o.is_available_on(day) for o in self.offers], dtype=bool)
            with self._lock:
                self._available[day] = found
        return found

    def forbidden(self, rule: _Rule) -> npt.NDArray[np.bool_]:
        """Products this rule forbids; candidates come from the word and allergen indexes, then
        `rule.forbids` has the last word, so the index can only make ranking faster."""
        key = (rule.fact.polarity, phrase(rule.fact.subject))
        with self._lock:
            found = self._forbidden.get(key)
        if found is not None:
            return found
        candidates: set[int] = set()
        for a in rule.allergens:
            candidates |= self.allergen_rows.get(a, set())
        everyone = range(self.size)
        for d in rule.diets:
            suitable = self.diet_rows.get(d, set())
            candidates.update(i for i in everyone if i not in suitable)
        if rule.subject:
            sets = [self.word_rows.get(w, set()) for w in rule.subject]
            candidates |= set.intersection(*sets) if sets else set()
        mask = np.zeros(self.size, dtype=bool)
        for i in candidates:
            mask[i] = rule.forbids(self.products[i])
        with self._lock:
            self._forbidden[key] = mask
        return mask

    def lexical(self, subject: Phrase) -> npt.NDArray[np.float64]:
        """How well each product's identity answers a liked subject (0 for most)."""
        with self._lock:
            found = self._lexical.get(subject)
        if found is not None:
            return found
        scores = np.zeros(self.size, dtype=np.float64)
        candidates: set[int] = set()
        for w in content_words(subject):
            candidates |= self.like_rows.get(w, set())
        for i in candidates:
            p = self.products[i]
            exact = EXACT if subject in _sourced_phrases(p) else 0.0
            scores[i] = max(exact, _like_score(subject, _identity_phrases(p)))
        with self._lock:
            if len(self._lexical) > 8192:
                self._lexical.clear()
            self._lexical[subject] = scores
        return scores

    def centroids(self, semantic: SemanticIndex) -> npt.NDArray[np.float32]:
        key = id(semantic)
        with self._lock:
            found = self._centroids.get(key)
        if found is None:
            sums = np.add.reduceat(semantic.products[self.flat], self.starts, axis=0)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            found = np.asarray(sums / norms, dtype=np.float32)
            with self._lock:
                self._centroids = {key: found}
        return found

    def similar_to(self, j: int, semantic: SemanticIndex | None) -> npt.NDArray[np.float64]:
        """How much every offer resembles offer j, 0..1: same counter and shared tags, or, with
        embeddings, how close their products are in meaning (whichever says more)."""
        key = (j, id(semantic) if semantic is not None else 0)
        with self._lock:
            found = self._similar.get(key)
        if found is not None:
            return found
        same = (self.category == self.category[j]).astype(np.float64)
        mine = self.tags[j]
        shared = np.asarray(
            [len(mine & t) / len(mine | t) if mine or t else 0.0 for t in self.tags]
        )
        sim = 0.5 * same + 0.5 * shared
        if semantic is not None:
            c = self.centroids(semantic)
            sim = np.maximum(sim, np.clip(c @ c[j], 0.0, 1.0).astype(np.float64))
        sim[j] = 1.0
        with self._lock:
            if len(self._similar) > 16384:
                self._similar.clear()
            self._similar[key] = sim
        return sim


_index_lock = threading.Lock()
_index_cache: dict[int, tuple[weakref.ref[Catalogue], _Index]] = {}


def _index(catalogue: Catalogue) -> _Index:
    with _index_lock:
        found = _index_cache.get(id(catalogue))
        if found is not None and found[0]() is catalogue:
            return found[1]
    built = _Index(catalogue)
    with _index_lock:
        for k in [k for k, (ref, _) in _index_cache.items() if ref() is None]:
            del _index_cache[k]
        _index_cache[id(catalogue)] = (weakref.ref(catalogue), built)
    return built


def _recently_seen(history: Iterable[OfferEvent], today: date, days: int) -> set[str]:
    """Offers shown or answered within the last `days` days (the frequency cap)."""
    return {e.offer_id for e in history if (today - utc_day(e.at)).days < days}


def utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date() if at.tzinfo else at.date()


def rank_offers(
    catalogue: Catalogue,
    facts: Sequence[Fact],
    *,
    today: date,
    limit: int | None = None,
    exclude_offer_ids: Collection[str] = (),
    consent: bool = True,
    history: Sequence[OfferEvent] = (),
    habits: Sequence[Habit] = (),
    semantic: SemanticIndex | None = None,
    policy: RankingPolicy = DEFAULT_POLICY,
) -> list[RankedOffer]:
    """The best offers for this customer today, at most `limit` (default: the policy's per turn).

    Hard filters first, and nothing scores its way past them: no consent, no offers; an offer
    not running today, shown within `policy.repeat_after_days`, excluded by the caller, or with
    any product an `avoid` or `dislike` forbids is dropped. What is left is scored from likes
    (lexical, plus semantic when `semantic` is given), weekend timing for weekend shoppers and
    the customer's answers to earlier offers. Offers with a positive score come first, then
    general suggestions; within each, offers are picked one by one, each time the best score
    minus a penalty for resembling one already picked (maximal marginal relevance), so that an
    answer is not three variants of one thing. Ties go to the lower offer id: deterministic.
    """
    limit = policy.per_turn if limit is None else limit
    if limit <= 0 or not consent:
        return []
    ix = _index(catalogue)
    if semantic is not None and semantic.skus != ix.skus:
        raise ValueError("the semantic index was built for another catalogue")
    if not ix.offers:
        return []

    # --- hard filters
    keep = ix.available(today).copy()
    blocked = set(exclude_offer_ids) | _recently_seen(history, today, policy.repeat_after_days)
    for offer_id in blocked:
        if (j := ix.position.get(offer_id)) is not None:
            keep[j] = False
    rules = _rules(facts)
    forbidden = np.zeros(ix.size, dtype=bool)
    if rules:
        for rule in rules:
            forbidden |= ix.forbidden(rule)
        # A collection (every goat cheese this week) is narrowed to the products that fit; a
        # bundle (a rib of beef with its wine) is offered whole or not at all.
        some_forbidden = ix.per_offer_max(forbidden)
        some_fit = ix.per_offer_max(~forbidden)
        keep &= ~some_forbidden | (ix.collection & some_fit)
    # An offer made for a diet (a kosher Shabbat table) is for the customers who keep it only.
    diets = kept_diets(rules)
    kept: dict[int, tuple[str, Fact]] = {}
    for j, made_for in enumerate(ix.for_diets):
        if made_for:
            diet = _diet_said(made_for, diets)
            if diet is None:
                keep[j] = False
            else:
                kept[j] = (diet, diets[diet])

    # --- likes: one column per like, product scores, then each offer's best product
    likes = [f for f in facts if f.polarity in (LIKE, ASKED) and phrase(f.subject)]
    n_offers = len(ix.offers)
    per_like = np.zeros((n_offers, len(likes)))
    product_scores = np.zeros((ix.size, len(likes)))
    named = np.zeros((n_offers, len(likes)), dtype=bool)  # a link that can be named
    lexical_scores = product_scores
    if likes:
        for k, like in enumerate(likes):
            product_scores[:, k] = ix.lexical(phrase(like.subject))
        product_scores[forbidden] = 0.0  # what is narrowed away is not a reason to offer
        lexical_scores = product_scores.copy()
        named = ix.per_offer_max(product_scores) > 0
        if semantic is not None:
            cos = semantic.products @ semantic.subjects([like.subject for like in likes]).T
            t = policy.semantic_threshold
            meaning = policy.semantic_weight * np.clip((cos - t) / (1.0 - t), 0.0, 1.0)
            # A product defined by its source ("lamb kidneys") is only what it is: meaning
            # would take the lamb lover to the kidneys.
            meaning[ix.has_source | forbidden] = 0.0
            product_scores = np.maximum(product_scores, meaning)
        per_like = ix.per_offer_max(product_scores)
    best = per_like.max(axis=1) if likes else np.zeros(n_offers)
    score = best + OTHER_LIKES_WEIGHT * (per_like.sum(axis=1) - best) if likes else best.copy()
    for j in kept:
        score[j] += policy.kept_diet_weight

    # --- timing: weekend offers first for someone who shops at the weekend, from Thursday on
    weekend_habit = next((h for h in habits if shops_at_weekend(h)), None)
    timed = np.zeros(n_offers, dtype=bool)
    if weekend_habit is not None and today.weekday() >= _THURSDAY:
        timed = ix.weekend & keep
        score = score + policy.habit_boost * timed

    # --- feedback: answers to earlier offers raise (accepted) or lower (declined) similar ones
    recent = [
        e
        for e in history
        if e.event in (ACCEPTED, DECLINED)
        and (today - utc_day(e.at)).days < policy.feedback_days
        and e.offer_id in ix.position
    ]
    accepted_sim: dict[str, npt.NDArray[np.float64]] = {}
    for e in recent:
        sim = ix.similar_to(ix.position[e.offer_id], semantic)
        sign = 1.0 if e.event == ACCEPTED else -1.0
        score = score + sign * policy.feedback_weight * sim
        if e.event == ACCEPTED:
            accepted_sim[e.offer_id] = sim

    # --- choose: positive scores first, each tier picked greedily with a diversity penalty
    score = np.round(score, 9)
    candidates = [j for j in np.flatnonzero(keep).tolist()]
    candidates.sort(key=lambda j: (-score[j], ix.offer_ids[j]))
    chosen: list[int] = []
    tiers = [[j for j in candidates if score[j] > 0]]
    if not likes or policy.general_for_known_tastes:
        tiers.append([j for j in candidates if score[j] <= 0])
    for tier in tiers:
        pool = tier[: max(limit * 10, 50)] if limit < len(tier) else tier
        resemblance = np.zeros(n_offers)
        for j in chosen:
            resemblance = np.maximum(resemblance, ix.similar_to(j, semantic))
        while pool and len(chosen) < limit:
            pick = min(
                pool,
                key=lambda j: (-(score[j] - policy.diversity * resemblance[j]), ix.offer_ids[j]),
            )
            pool.remove(pick)
            chosen.append(pick)
            resemblance = np.maximum(resemblance, ix.similar_to(pick, semantic))
        if len(chosen) >= limit:
            break

    ranked = []
    for j in chosen:
        # Only likes with a nameable link are given as the reason; the rest is a discovery.
        matched = [(float(per_like[j, k]), k, like) for k, like in enumerate(likes) if named[j, k]]
        discovery = bool(likes) and not matched and float(per_like[j].max(initial=0.0)) > 0
        matched.sort(key=lambda m: (-m[0], -m[2].at.timestamp(), m[2].subject))
        members = [i for i in ix.members[j].tolist() if not forbidden[i]]
        left_out = tuple(ix.products[i] for i in ix.members[j].tolist() if forbidden[i])
        if likes:
            top = product_scores[members].max(axis=1)
            order = sorted(range(len(members)), key=lambda n: -top[n])
            members = [members[n] for n in order]
        liked = tuple(
            PastOffer(catalogue.offer(e.offer_id).title, e.at)
            for e in sorted(recent, key=lambda e: e.at, reverse=True)
            if e.event == ACCEPTED
            and e.offer_id != ix.offer_ids[j]
            and accepted_sim[e.offer_id][j] >= 0.5
        )
        ranked.append(
            RankedOffer(
                offer=ix.offers[j],
                products=tuple(ix.products[i] for i in members),
                score=float(score[j]),
                because=tuple(f for _, _, f in matched),
                kinds=tuple(_kind(ix, members, lexical_scores, k, f) for _, k, f in matched),
                liked=tuple(dict.fromkeys(liked))[:1],
                habit=weekend_habit if timed[j] else None,
                discovery=discovery,
                narrowed_by=tuple(
                    dict.fromkeys(f for p in left_out if (f := _first_violation(p, rules)))
                ),
                kept=kept.get(j),
            )
        )
    return ranked


def _kind(
    ix: _Index, members: list[int], lexical: npt.NDArray[np.float64], k: int, like: Fact
) -> str | None:
    """None when the offer has the very thing liked; else the kind it shares with it."""
    best = max(members, key=lambda i: lexical[i, k])
    if lexical[best, k] >= BROADER:
        return None
    return _shared_term(ix.products[best], phrase(like.subject))


def _shared_term(p: Product, subject: Phrase) -> str | None:
    """The longest of the product's terms inside the liked subject (the NARROWER link of
    `_like_score`): "duck" for duck rillettes and "duck confit"."""
    found: Phrase = ()
    for term in _identity_phrases(p):
        if _mentions(subject, term) and len(term) > len(found):
            found = term
    # In the catalogue's own spelling when it has the word ("Comté", not "comte").
    for text in _identity_texts(p):
        if phrase(text) == found:
            return text if text[:1].isupper() and text != p.category else text.lower()
    return " ".join(found) or None


def assess_offer(
    catalogue: Catalogue,
    offer_id: str,
    facts: Sequence[Fact],
    *,
    today: date,
    history: Sequence[OfferEvent] = (),
    habits: Sequence[Habit] = (),
    semantic: SemanticIndex | None = None,
    policy: RankingPolicy = DEFAULT_POLICY,
) -> RankedOffer | None:
    """One offer as ranking sees it for this customer (for "why this one?"); None if it breaks a
    constraint or is not running. The frequency cap is ignored: the offer was just shown."""
    others = {o.id for o in catalogue.offers if o.id != offer_id}
    found = rank_offers(
        catalogue,
        facts,
        today=today,
        limit=1,
        exclude_offer_ids=others,
        history=[e for e in history if e.offer_id != offer_id],
        habits=habits,
        semantic=semantic,
        policy=policy,
    )
    return found[0] if found else None
