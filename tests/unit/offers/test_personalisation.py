"""Consent, frequency caps, semantic likes, timing, feedback and diversity: never a violation."""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from offers.catalogue import Catalogue, parse_catalogue
from offers.embeddings import SemanticIndex, Vectors, catalogue_key, product_text
from offers.ranking import (
    Habit,
    OfferEvent,
    RankedOffer,
    RankingPolicy,
    assess_offer,
    rank_offers,
    shops_at_weekend,
    violates,
)
from offers.reasons import DISCOVERY_REASON, explain
from tests.unit.offers.conftest import EVERY_OFFER, EVERYTHING, MONDAY, SATURDAY, MakeFact

THURSDAY = date(2026, 11, 26)
# Words the tiny encoder treats as one meaning, so semantic matches are known in advance.
MEANINGS = {
    "fizz": "champagne",
    "bubbles": "champagne",
    "sparkling": "champagne",
    "seafood": "oyster",
}


class TinyEncoder:
    """A deterministic bag-of-words encoder: same word (or MEANINGS alias), same direction."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(list(texts))
        rows = np.zeros((len(texts), 256), dtype=np.float32)
        for n, text in enumerate(texts):
            for word in text.lower().replace(",", " ").replace(".", " ").split():
                word = MEANINGS.get(word.rstrip("s"), word.rstrip("s"))
                rows[n, zlib.crc32(word.encode()) % 256] += 1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return rows / norms


@pytest.fixture
def semantic(demo: Catalogue) -> SemanticIndex:
    return SemanticIndex(demo, TinyEncoder(), model_name="tiny")


def ids(ranked: list[RankedOffer]) -> list[str]:
    return [r.offer.id for r in ranked]


def event(offer_id: str, kind: str, days_ago: int, today: date = MONDAY) -> OfferEvent:
    at = datetime.combine(today - timedelta(days=days_ago), datetime.min.time(), tzinfo=UTC)
    return OfferEvent(offer_id, kind, at.replace(hour=10))


SATURDAY_HABIT = Habit(
    "shops",
    "Saturday morning",
    "I usually come on Saturday mornings",
    "whatsapp",
    datetime(2026, 3, 3, tzinfo=UTC),
)


# --------------------------------------------------------------------- consent and caps


def test_no_consent_no_offers(demo: Catalogue, fact: MakeFact) -> None:
    assert rank_offers(demo, [fact("comté")], today=MONDAY, consent=False) == []
    assert rank_offers(demo, [fact("comté")], today=MONDAY, consent=True)


def test_an_offer_shown_recently_is_not_shown_again(demo: Catalogue, fact: MakeFact) -> None:
    likes = [fact("veal paupiettes")]
    assert ids(rank_offers(demo, likes, today=MONDAY))[0] == "OFF-001"
    for kind in ("presented", "accepted", "declined"):
        recent = [event("OFF-001", kind, days_ago=13)]
        assert "OFF-001" not in ids(rank_offers(demo, likes, today=MONDAY, history=recent))
    shown_long_ago = [event("OFF-001", "presented", days_ago=14)]
    assert ids(rank_offers(demo, likes, today=MONDAY, history=shown_long_ago))[0] == "OFF-001"


def test_the_repeat_window_is_configurable(demo: Catalogue, fact: MakeFact) -> None:
    likes, history = [fact("veal paupiettes")], [event("OFF-001", "presented", days_ago=20)]
    month = RankingPolicy(repeat_after_days=30)
    assert "OFF-001" not in ids(
        rank_offers(demo, likes, today=MONDAY, history=history, policy=month)
    )
    assert "OFF-001" in ids(rank_offers(demo, likes, today=MONDAY, history=history))


def test_at_most_k_offers_per_turn(demo: Catalogue) -> None:
    assert len(rank_offers(demo, [], today=MONDAY)) == 3
    assert len(rank_offers(demo, [], today=MONDAY, policy=RankingPolicy(per_turn=2))) == 2
    assert len(rank_offers(demo, [], today=MONDAY, limit=5)) == 5


# --------------------------------------------------------------------- semantic likes


def test_a_like_with_no_shared_word_is_found_by_meaning(
    demo: Catalogue, fact: MakeFact, semantic: SemanticIndex
) -> None:
    like = fact("fizz", stated="I adore fizz")
    # Lexically nothing answers it, and a customer who said what they like is not offered
    # this week's other offers instead.
    assert rank_offers(demo, [like], today=SATURDAY) == []
    [first, *_] = rank_offers(demo, [like], today=SATURDAY, semantic=semantic)
    assert first.offer.id == "OFF-009"
    assert 0 < first.score <= RankingPolicy().semantic_weight
    # Close in meaning is not a link that can be named: a discovery, not "because you said".
    assert first.because == () and first.discovery
    assert explain(first, today=SATURDAY) == DISCOVERY_REASON


def test_lexical_exact_match_beats_a_semantic_one(
    demo: Catalogue, fact: MakeFact, semantic: SemanticIndex
) -> None:
    facts = [fact("fizz"), fact("veal paupiettes")]
    ranked = rank_offers(
        demo, facts, today=SATURDAY, semantic=semantic, limit=EVERYTHING, policy=EVERY_OFFER
    )
    scores = {r.offer.id: r.score for r in ranked}
    assert scores["OFF-001"] > scores["OFF-009"] > 0


def test_meaning_never_overrides_a_constraint(
    demo: Catalogue, fact: MakeFact, semantic: SemanticIndex
) -> None:
    facts = [fact("fizz"), fact("sulphites", "avoid"), fact("seafood")]
    ranked = rank_offers(
        demo, facts, today=SATURDAY, semantic=semantic, limit=EVERYTHING, policy=EVERY_OFFER
    )
    assert ranked and all(violates(p, facts) is None for r in ranked for p in r.products)
    assert "OFF-009" not in ids(ranked)


def test_a_semantic_index_of_another_catalogue_is_refused(
    demo: Catalogue, semantic: SemanticIndex
) -> None:
    other = Catalogue(products=demo.products[:-1], offers=())
    with pytest.raises(ValueError, match="another catalogue"):
        rank_offers(other, [], today=MONDAY, semantic=semantic)


def test_catalogue_embeddings_are_cached_on_disk_by_content(
    demo: Catalogue, tmp_path: Path
) -> None:
    encoder = TinyEncoder()
    first = SemanticIndex(demo, encoder, model_name="tiny", cache_dir=tmp_path)
    assert not first.loaded_from_cache and len(encoder.calls) == 1
    again = SemanticIndex(demo, encoder, model_name="tiny", cache_dir=tmp_path)
    assert again.loaded_from_cache and len(encoder.calls) == 1
    assert np.array_equal(first.products, again.products)
    changed = Catalogue(products=demo.products[1:], offers=())
    fresh = SemanticIndex(changed, encoder, model_name="tiny", cache_dir=tmp_path)
    assert not fresh.loaded_from_cache and fresh.key != first.key
    other_model = catalogue_key([product_text(p) for p in demo.products], "another model")
    assert other_model != first.key
    assert len(list(tmp_path.glob("*.npy"))) == 2


def test_each_liked_subject_is_encoded_once(demo: Catalogue) -> None:
    encoder = TinyEncoder()
    index = SemanticIndex(demo, encoder, model_name="tiny")
    index.subjects(["fizz", "comté"])
    index.subjects(["comté", "fizz", "fizz"])
    assert encoder.calls[1:] == [["fizz", "comté"]]


# --------------------------------------------------------------------- habits


def test_weekend_shopper_hears_about_weekend_offers_first(demo: Catalogue) -> None:
    plain = rank_offers(demo, [], today=SATURDAY, limit=EVERYTHING, policy=EVERY_OFFER)
    timed = rank_offers(demo, [], today=SATURDAY, limit=EVERYTHING, habits=[SATURDAY_HABIT])
    weekend = [o.id for o in demo.offers if o.weekend and o.is_available_on(SATURDAY)]
    assert sorted(ids(timed)[: len(weekend)]) == sorted(weekend)
    assert sorted(ids(plain)[: len(weekend)]) != sorted(weekend)
    assert timed[0].habit == SATURDAY_HABIT
    assert explain(timed[0], today=SATURDAY) == (
        "because it runs this weekend and you told me on WhatsApp on 3 March that "
        '"I usually come on Saturday mornings"'
    )


def test_timing_needs_a_weekend_habit_and_the_end_of_the_week(demo: Catalogue) -> None:
    weekday_habit = Habit("shops", "Tuesday", "on Tuesdays", "web", SATURDAY_HABIT.at)
    assert not shops_at_weekend(weekday_habit) and shops_at_weekend(SATURDAY_HABIT)
    for day, habits in ((SATURDAY, [weekday_habit]), (MONDAY, [SATURDAY_HABIT])):
        ranked = rank_offers(
            demo, [], today=day, habits=habits, limit=EVERYTHING, policy=EVERY_OFFER
        )
        assert all(r.habit is None and r.score == 0 for r in ranked)


def test_timing_never_shows_an_offer_outside_its_days(demo: Catalogue) -> None:
    for day in (THURSDAY, THURSDAY + timedelta(days=1)):
        ranked = rank_offers(
            demo, [], today=day, habits=[SATURDAY_HABIT], limit=EVERYTHING, policy=EVERY_OFFER
        )
        assert ranked and not any(r.offer.weekend for r in ranked)


# --------------------------------------------------------------------- feedback


def test_an_accepted_offer_raises_similar_ones_and_says_so(demo: Catalogue) -> None:
    history = [event("OFF-005", "accepted", days_ago=8)]  # Comté tasting, last week
    ranked = rank_offers(demo, [], today=MONDAY, history=history)
    first = ranked[0]
    assert first.offer.id == "OFF-006"  # Alpine cheese board: same counter, Comté again
    assert "OFF-005" not in ids(ranked)  # answered 8 days ago: still capped
    assert explain(first, today=MONDAY) == 'because you liked the "Comté tasting" offer last week'


def test_a_declined_offer_lowers_similar_ones(demo: Catalogue, fact: MakeFact) -> None:
    likes = [fact("cheese")]
    before = rank_offers(demo, likes, today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER)
    top = ids(before)[0]
    assert demo.offer(top).title == "Comté tasting"
    history = [event(top, "declined", days_ago=20)]  # out of the repeat window
    after = rank_offers(
        demo, likes, today=MONDAY, limit=EVERYTHING, history=history, policy=EVERY_OFFER
    )
    score_before = {r.offer.id: r.score for r in before}
    score_after = {r.offer.id: r.score for r in after}
    assert score_after[top] < score_before[top]
    assert score_after["OFF-006"] < score_before["OFF-006"]  # Alpine board: cheese, Comté
    assert score_after["OFF-012"] == score_before["OFF-012"]  # fish: unrelated
    assert ids(after)[0] != top


def test_old_answers_stop_steering(demo: Catalogue) -> None:
    old = [event("OFF-005", "accepted", days_ago=400)]
    assert rank_offers(demo, [], today=MONDAY, history=old) == rank_offers(demo, [], today=MONDAY)


def test_no_history_or_facts_ever_produce_a_violation(demo: Catalogue, fact: MakeFact) -> None:
    rng = random.Random(4)
    offer_ids = [o.id for o in demo.offers]
    words = sorted({t for p in demo.products for t in p.tags})
    for _ in range(200):
        facts = [fact(rng.choice(words)) for _ in range(rng.randint(0, 3))]
        facts += [fact(rng.choice(words), rng.choice(["avoid", "dislike"])) for _ in range(2)]
        facts += [fact(rng.choice(["nuts", "milk", "gluten", "vegan", "halal"]), "avoid")]
        history = [
            event(rng.choice(offer_ids), rng.choice(["accepted", "declined", "presented"]), d)
            for d in rng.sample(range(0, 60), 6)
        ]
        day = rng.choice([MONDAY, THURSDAY, SATURDAY])
        ranked = rank_offers(
            demo, facts, today=day, history=history, habits=[SATURDAY_HABIT], limit=5
        )
        recent = {e.offer_id for e in history if (day - e.at.date()).days < 14}
        assert len(ranked) <= 5
        for r in ranked:
            assert r.offer.is_available_on(day) and r.offer.id not in recent
            assert all(violates(p, facts) is None for p in r.products), (facts, r.offer.id)


# --------------------------------------------------------------------- diversity


def _cheese_shop() -> Catalogue:
    def cheese(sku: str, name: str, tags: list[str]) -> dict[str, object]:
        return {
            "sku": sku,
            "name": name,
            "category": "cheese",
            "tags": tags,
            "allergens": ["milk"],
            "price": "5",
            "unit": "per 100 g",
        }

    def offer(oid: str, sku: str) -> dict[str, object]:
        return {
            "id": oid,
            "title": f"Offer {oid}",
            "products": [sku],
            "discount": "10%",
            "valid_from": "2026-01-01",
            "valid_to": "2027-12-31",
        }

    return parse_catalogue(
        {
            "products": [
                cheese("C-1", "Comté 12 months", ["comté", "hard cheese", "cheese"]),
                cheese("C-2", "Comté 18 months", ["comté", "hard cheese", "cheese"]),
                cheese("C-3", "Comté 24 months", ["comté", "hard cheese", "cheese"]),
                cheese("C-4", "Crottin de Chavignol", ["goat cheese", "cheese"]),
                {**cheese("W-1", "Vin jaune", ["wine"]), "category": "wine", "allergens": []},
            ],
            "offers": [offer("O-1", "C-1"), offer("O-2", "C-2"), offer("O-3", "C-3")]
            + [offer("O-4", "C-4"), offer("O-5", "W-1")],
        }
    )


def test_three_offers_are_not_three_variants_of_one_thing(fact: MakeFact) -> None:
    shop = _cheese_shop()
    likes = [fact("cheese")]
    plain = rank_offers(shop, likes, today=MONDAY, policy=RankingPolicy(diversity=0))
    assert ids(plain) == ["O-1", "O-2", "O-3"]  # every Comté scores the same as the goat cheese
    diverse = rank_offers(shop, likes, today=MONDAY)
    assert ids(diverse)[:2] == ["O-1", "O-4"]  # the goat cheese before a second Comté
    assert all(r.score > 0 for r in diverse)  # diversity never brings in a non-match first


def test_general_offers_come_from_different_counters(demo: Catalogue) -> None:
    ranked = rank_offers(demo, [], today=MONDAY)
    counters = [r.products[0].category for r in ranked]
    assert len(set(counters)) == 3
    plain = rank_offers(demo, [], today=MONDAY, policy=RankingPolicy(diversity=0))
    assert len({r.products[0].category for r in plain}) < 3


# --------------------------------------------------------------------- "why this one?"


def test_assess_offer_explains_one_offer_even_just_shown(demo: Catalogue, fact: MakeFact) -> None:
    like = fact("comté", stated="Comté is my favourite")
    history = [event("OFF-005", "presented", days_ago=0)]
    r = assess_offer(demo, "OFF-005", [like], today=MONDAY, history=history)
    assert r is not None and r.because == (like,)
    assert assess_offer(demo, "OFF-005", [like, fact("milk", "avoid")], today=MONDAY) is None
    assert assess_offer(demo, "OFF-009", [like], today=MONDAY) is None  # weekend only


def test_a_category_dislike_keeps_the_whole_counter_away(demo: Catalogue, fact: MakeFact) -> None:
    for category in ("wine", "fishmonger", "cheese", "butcher"):
        stop = fact(category, "dislike", stated=f"no more {category} offers")
        ranked = rank_offers(
            demo, [stop, fact("champagne")], today=SATURDAY, limit=EVERYTHING, policy=EVERY_OFFER
        )
        assert ranked and all(p.category != category for r in ranked for p in r.products)
