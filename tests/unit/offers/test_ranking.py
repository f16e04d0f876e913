"""Ranking offers for one customer: constraints are never broken, likes come first, and why."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from offers.catalogue import ALLERGENS, DIETS, Catalogue, Product, parse_catalogue
from offers.ranking import (
    RankedOffer,
    RankingPolicy,
    product_terms,
    rank_offers,
    violates,
)
from offers.reasons import GENERAL_REASON, explain, narrowing_note
from tests.unit.offers.conftest import EVERY_OFFER, EVERYTHING, MONDAY, SATURDAY, MakeFact

DAYS = [MONDAY, SATURDAY, date(2026, 12, 15), date(2026, 12, 20), date(2027, 6, 1)]

# What customers call each allergen; every alias must keep every product with it away.
ALLERGEN_WORDS: dict[str, list[str]] = {
    "nuts": ["nuts", "nut", "tree nuts", "walnuts", "hazelnut", "almonds", "pistachios"],
    "peanuts": ["peanuts", "peanut"],
    "milk": ["milk", "dairy", "lactose"],
    "egg": ["egg", "eggs"],
    "gluten": ["gluten", "wheat"],
    "fish": ["fish"],
    "shellfish": ["shellfish", "prawns", "crustaceans", "seafood"],
    "molluscs": ["molluscs", "oysters", "mussels", "shellfish", "snails"],
    "soy": ["soy", "soya"],
    "sesame": ["sesame", "tahini"],
    "celery": ["celery", "celeriac"],
    "mustard": ["mustard"],
    "sulphites": ["sulphites", "sulfites"],
    "lupin": ["lupin"],
}


def offered_products(ranked: list[RankedOffer]) -> list[Product]:
    return [p for r in ranked for p in r.products]


def ids(ranked: list[RankedOffer]) -> list[str]:
    return [r.offer.id for r in ranked]


# --------------------------------------------------------------------- hard filters


def test_allergen_words_cover_every_allergen() -> None:
    assert set(ALLERGEN_WORDS) == set(ALLERGENS)


@pytest.mark.parametrize("allergen", ALLERGENS)
def test_no_offer_ever_contains_an_avoided_allergen(
    demo: Catalogue, fact: MakeFact, allergen: str
) -> None:
    # Likes that would pull the forbidden products up must not override the constraint.
    tempting = [fact(p.name) for p in demo.products if allergen in p.allergens]
    for word in ALLERGEN_WORDS[allergen]:
        facts = [fact(word, "avoid", reason="allergy"), *tempting]
        for day in DAYS:
            ranked = rank_offers(demo, facts, today=day, limit=EVERYTHING, policy=EVERY_OFFER)
            assert ranked, (word, day)
            bad = [p.sku for p in offered_products(ranked) if allergen in p.allergens]
            assert bad == [], (word, day, bad)


def test_the_allergen_filter_is_not_vacuous(demo: Catalogue, fact: MakeFact) -> None:
    # Without the constraint the same offers do carry nuts: the filter above did real work.
    everything = rank_offers(demo, [], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER)
    assert any("nuts" in p.allergens for p in offered_products(everything))
    nut_free = rank_offers(
        demo, [fact("nuts", "avoid")], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER
    )
    assert 0 < len(nut_free) < len(everything)


@pytest.mark.parametrize("diet", DIETS)
def test_every_offered_product_suits_the_customers_diet(
    demo: Catalogue, fact: MakeFact, diet: str
) -> None:
    for day in DAYS:
        ranked = rank_offers(
            demo, [fact(diet, "avoid", reason="diet")], today=day, limit=EVERYTHING
        )
        assert ranked, (diet, day)
        bad = [p.sku for p in offered_products(ranked) if diet not in p.diets]
        assert bad == [], (diet, day, bad)


def test_every_constraint_at_once_still_holds(demo: Catalogue, fact: MakeFact) -> None:
    facts = [fact("nuts", "avoid"), fact("sesame", "avoid"), fact("halal", "avoid", reason="diet")]
    for day in DAYS:
        for p in offered_products(
            rank_offers(demo, facts, today=day, limit=EVERYTHING, policy=EVERY_OFFER)
        ):
            assert "nuts" not in p.allergens and "sesame" not in p.allergens
            assert "halal" in p.diets
            assert violates(p, facts) is None


@pytest.mark.parametrize("polarity", ["dislike", "avoid"])
def test_a_dislike_of_any_product_name_keeps_it_away(
    demo: Catalogue, fact: MakeFact, polarity: str
) -> None:
    for p in demo.products:
        ranked = rank_offers(
            demo, [fact(p.name, polarity)], today=SATURDAY, limit=EVERYTHING, policy=EVERY_OFFER
        )
        assert p.sku not in {q.sku for q in offered_products(ranked)}, p.name


def test_dislike_of_liver_pate_drops_every_offer_with_it(demo: Catalogue, fact: MakeFact) -> None:
    ranked = rank_offers(
        demo, [fact("liver pâté", "dislike")], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER
    )
    assert "CHA-001" not in {p.sku for p in offered_products(ranked)}
    assert "OFF-028" not in ids(ranked)  # charcuterie board with the pâté: a bundle, dropped
    # The offal corner (every offal product: a collection) is narrowed to what fits.
    [offal] = [r for r in ranked if r.offer.id == "OFF-004"]
    assert [f.subject for f in offal.narrowed_by] == ["liver pâté"]
    assert narrowing_note(offal) == (
        "For you: "
        + ", ".join(p.name for p in offal.products[:-1])
        + f" and {offal.products[-1].name}, without the liver pâté you don't like."
    )
    # Other pâtés are not liver pâté: the vegan mushroom pâté is still allowed.
    assert violates(demo.product("DEL-010"), [fact("liver pâté", "dislike")]) is None


def test_dislike_of_liver_pate_matches_without_accents(demo: Catalogue, fact: MakeFact) -> None:
    assert violates(demo.product("CHA-001"), [fact("Liver Pate", "dislike")]) is not None
    assert violates(demo.product("DEL-010"), [fact("liver pate", "dislike")]) is None


def test_dislike_of_a_group_reaches_tagged_products(demo: Catalogue, fact: MakeFact) -> None:
    offal = fact("offal", "dislike")
    assert violates(demo.product("BUT-009"), [offal]) == offal  # calf's liver
    assert violates(demo.product("BUT-008"), [offal]) is None  # veal escalopes
    ranked = rank_offers(demo, [offal], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER)
    assert all("offal" not in p.tags for p in offered_products(ranked))


def test_avoid_pork_for_religion_keeps_pork_away(demo: Catalogue, fact: MakeFact) -> None:
    facts = [fact("pork", "avoid", reason="religion"), fact("veal paupiettes")]
    ranked = rank_offers(demo, facts, today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER)
    assert "OFF-001" not in ids(ranked)  # the paupiettes have a pork stuffing
    assert all("pork" not in p.tags for p in offered_products(ranked))


def test_not_eating_meat_means_pescatarian(demo: Catalogue, fact: MakeFact) -> None:
    ranked = rank_offers(demo, [fact("meat", "avoid", reason="diet")], today=MONDAY, limit=50)
    products = offered_products(ranked)
    assert products and all("pescatarian" in p.diets for p in products)
    assert "OFF-012" in ids(ranked)  # catch of the day


def test_gluten_free_products_are_not_mistaken_for_gluten(demo: Catalogue, fact: MakeFact) -> None:
    facts = [fact("gluten", "avoid", reason="intolerance"), fact("bread")]
    ranked = rank_offers(demo, facts, today=MONDAY)
    assert ids(ranked)[0] == "OFF-020"  # the buckwheat loaf from the gluten-free oven
    assert ranked[0].products[0].sku == "BAK-006"


def test_violates_reports_the_avoid_before_a_dislike(demo: Catalogue, fact: MakeFact) -> None:
    dislike = fact("bread", "dislike")
    allergy = fact("walnuts", "avoid")
    assert violates(demo.product("BAK-001"), [dislike, allergy]) == allergy
    assert violates(demo.product("VEG-001"), [dislike, allergy]) is None


def test_likes_never_forbid(demo: Catalogue, fact: MakeFact) -> None:
    assert violates(demo.product("CHA-001"), [fact("liver pâté", "like")]) is None


# --------------------------------------------------------------------- validity


@pytest.mark.parametrize("day", DAYS)
def test_only_running_offers_are_shown(demo: Catalogue, day: date) -> None:
    ranked = rank_offers(demo, [], today=day, limit=EVERYTHING, policy=EVERY_OFFER)
    assert ranked
    for r in ranked:
        assert r.offer.valid_from <= day <= r.offer.valid_to
        assert not r.offer.weekend or day.weekday() >= 5


def test_expired_offer_is_not_shown_even_when_it_matches_best(
    demo: Catalogue, fact: MakeFact
) -> None:
    # OFF-027 (ended March 2025) was a bigger paupiettes discount than OFF-001.
    ranked = rank_offers(
        demo, [fact("veal paupiettes")], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER
    )
    assert "OFF-027" not in ids(ranked)
    assert "OFF-025" not in ids(ranked) and "OFF-026" not in ids(ranked)


def test_future_offer_appears_once_it_starts(demo: Catalogue, fact: MakeFact) -> None:
    likes = [fact("smoked salmon")]
    assert "OFF-024" not in ids(
        rank_offers(demo, likes, today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER)
    )
    assert ids(rank_offers(demo, likes, today=date(2026, 12, 2)))[0] == "OFF-024"


def test_weekend_offers_only_on_the_weekend(demo: Catalogue, fact: MakeFact) -> None:
    likes = [fact("champagne")]
    assert "OFF-009" not in ids(
        rank_offers(demo, likes, today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER)
    )
    assert ids(rank_offers(demo, likes, today=SATURDAY))[0] == "OFF-009"


def test_excluded_offers_are_not_shown_again(demo: Catalogue, fact: MakeFact) -> None:
    likes = [fact("veal paupiettes"), fact("cheese")]
    ranked = rank_offers(demo, likes, today=MONDAY, exclude_offer_ids={"OFF-001"})
    assert "OFF-001" not in ids(ranked)
    assert len(ranked) == 3


# --------------------------------------------------------------------- scoring


def test_like_of_veal_paupiettes_ranks_the_paupiettes_offer_first(
    demo: Catalogue, fact: MakeFact
) -> None:
    like = fact("veal paupiettes", stated="I love veal paupiettes")
    ranked = rank_offers(demo, [like], today=MONDAY)
    # Nothing else this week answers it, and the answer is not padded with what does not.
    assert ids(ranked) == ["OFF-001"]
    assert ranked[0].because == (like,) and ranked[0].score > 0


@pytest.mark.parametrize("subject", ["paupiettes", "paupiette", "Paupiettes de veau", "veal birds"])
def test_other_names_of_paupiettes_find_them_too(
    demo: Catalogue, fact: MakeFact, subject: str
) -> None:
    assert ids(rank_offers(demo, [fact(subject)], today=MONDAY))[0] == "OFF-001"


def test_exact_match_beats_partial_match(demo: Catalogue, fact: MakeFact) -> None:
    ranked = rank_offers(
        demo, [fact("veal paupiettes")], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER
    )
    scores = {r.offer.id: r.score for r in ranked}
    # "Veal" is what calf's liver and sweetbreads are made from, not what they are: the
    # offal corner does not answer a love of veal paupiettes (catalogue `made_from`).
    assert scores["OFF-001"] > 0 and scores["OFF-004"] == 0


def test_matching_offers_come_before_general_ones(demo: Catalogue, fact: MakeFact) -> None:
    ranked = rank_offers(
        demo, [fact("goat cheese")], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER
    )
    assert ranked[0].offer.id == "OFF-008" and ranked[0].because
    general = [r for r in ranked if not r.because]
    assert general and all(r.score == 0 for r in general)
    first_general = ranked.index(general[0])
    assert all(r.because for r in ranked[:first_general])
    assert all(not r.because for r in ranked[first_general:])


def test_two_matched_likes_beat_one(demo: Catalogue, fact: MakeFact) -> None:
    facts = [fact("comté"), fact("walnut bread")]
    ranked = rank_offers(demo, facts, today=MONDAY)
    assert ids(ranked)[0] == "OFF-006"  # Alpine board: Comté and a walnut loaf
    assert {f.subject for f in ranked[0].because} == {"comté", "walnut bread"}


def test_matched_products_are_listed_first(demo: Catalogue, fact: MakeFact) -> None:
    ranked = rank_offers(demo, [fact("sweetbreads")], today=MONDAY)
    assert ranked[0].offer.id == "OFF-004"
    assert ranked[0].products[0].sku == "BUT-010"


def test_without_facts_the_order_is_by_offer_id_before_diversity(demo: Catalogue) -> None:
    # Diversity reorders general offers by counter (see test_diversity_*); without it, ids decide.
    plain = RankingPolicy(diversity=0)
    ranked = rank_offers(demo, [], today=MONDAY, limit=EVERYTHING, policy=plain)
    assert ids(ranked) == sorted(ids(ranked))
    assert all(r.score == 0 and r.because == () for r in ranked)
    diverse = rank_offers(demo, [], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER)
    assert sorted(ids(diverse)) == ids(ranked)
    assert diverse == rank_offers(demo, [], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER)


def test_ranking_is_deterministic_whatever_the_fact_order(demo: Catalogue, fact: MakeFact) -> None:
    facts = [fact("cheese"), fact("wine"), fact("nuts", "avoid"), fact("offal", "dislike")]
    first = rank_offers(demo, facts, today=SATURDAY, limit=10)
    again = rank_offers(demo, list(reversed(facts)), today=SATURDAY, limit=10)
    assert first == again


def test_limit(demo: Catalogue) -> None:
    assert len(rank_offers(demo, [], today=MONDAY)) == 3
    assert len(rank_offers(demo, [], today=MONDAY, limit=1)) == 1
    assert rank_offers(demo, [], today=MONDAY, limit=0) == []


def test_stopwords_do_not_make_a_match(fact: MakeFact) -> None:
    cat = parse_catalogue(
        {
            "products": [
                {
                    "sku": "X-1",
                    "name": "Pot of the day",
                    "category": "deli",
                    "allergens": [],
                    "price": "1",
                    "unit": "per pot",
                }
            ],
            "offers": [
                {
                    "id": "O-1",
                    "title": "Pot",
                    "products": ["X-1"],
                    "discount": "10%",
                    "valid_from": date(2026, 1, 1),
                    "valid_to": date(2026, 12, 31),
                }
            ],
        }
    )
    [ranked] = rank_offers(cat, [fact("glass of the wine")], today=MONDAY, policy=EVERY_OFFER)
    assert ranked.because == () and ranked.score == 0


def test_product_terms_have_singular_and_plural_forms(demo: Catalogue) -> None:
    terms = product_terms(demo.product("BUT-001"))
    assert {"veal paupiettes", "veal paupiette", "paupiettes", "paupiette"} <= terms
    assert {"veal", "butcher", "paupiettes de veau", "veal birds", "gluten", "egg"} <= terms
    assert {"walnut", "walnuts", "nuts"} <= product_terms(demo.product("BAK-001"))
    assert "liver pâté" in product_terms(demo.product("CHA-001"))


# --------------------------------------------------------------------- explanations


def test_explanation_quotes_the_customer_with_channel_and_date(
    demo: Catalogue, fact: MakeFact
) -> None:
    like = fact(
        "veal paupiettes",
        stated="I love veal paupiettes",
        channel="web",
        at=datetime(2026, 3, 3, 18, 5, tzinfo=UTC),
    )
    [first, *_] = rank_offers(demo, [like], today=MONDAY)
    assert explain(first, today=MONDAY) == (
        'because you told me on the website on 3 March that "I love veal paupiettes"'
    )


@pytest.mark.parametrize(
    ("channel", "at", "expected"),
    [
        (
            "whatsapp",
            datetime(2026, 5, 12, tzinfo=UTC),
            "because you told me on WhatsApp on 12 May",
        ),
        (
            "email",
            datetime(2025, 12, 1, tzinfo=UTC),
            "because you told me by email on 1 December 2025",
        ),
        ("rest", datetime(2026, 1, 9, tzinfo=UTC), "because you told me here on 9 January"),
        (
            "staff",
            datetime(2026, 2, 28, tzinfo=UTC),
            "because you said to our staff on 28 February",
        ),
    ],
)
def test_explanation_names_the_channel_in_words(
    demo: Catalogue, fact: MakeFact, channel: str, at: datetime, expected: str
) -> None:
    like = fact("comté", stated="Comté is my favourite", channel=channel, at=at)
    [first, *_] = rank_offers(demo, [like], today=MONDAY)
    assert explain(first, today=MONDAY) == f'{expected} that "Comté is my favourite"'


def test_explanation_of_a_general_offer(demo: Catalogue) -> None:
    [first, *_] = rank_offers(demo, [], today=MONDAY)
    assert explain(first, today=MONDAY) == (
        "because it's one of this week's offers and fits everything you've told me"
    )
    assert explain(first, today=MONDAY) == GENERAL_REASON


def test_explanation_names_two_likes_at_most(demo: Catalogue, fact: MakeFact) -> None:
    facts = [
        fact("comté", stated="I adore Comté", at=datetime(2026, 4, 1, tzinfo=UTC)),
        fact("walnut bread", stated="walnut bread, always", at=datetime(2026, 4, 2, tzinfo=UTC)),
        fact("cheese", stated="cheese!", at=datetime(2026, 4, 3, tzinfo=UTC)),
    ]
    [first, *_] = rank_offers(demo, facts, today=MONDAY)
    assert first.offer.id == "OFF-006"
    text = explain(first, today=MONDAY)
    assert text == (
        'because you told me on the website on 3 April that "cheese!" and you told me on the '
        'website on 2 April that "walnut bread, always"'
    )


def test_what_a_product_is_made_from_forbids_but_is_no_reason_to_offer_it(
    demo: Catalogue, fact: MakeFact
) -> None:
    terrine = demo.product("CHA-002")  # chicken liver terrine, made_from: [chicken]
    assert terrine.made_from == ("chicken",)
    assert violates(terrine, [fact("chicken", "avoid")]) is not None
    assert violates(terrine, [fact("vegetarian", "avoid")]) is not None
    ranked = rank_offers(
        demo, [fact("chicken")], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER
    )
    offal = [r for r in ranked if r.offer.id == "OFF-004"]
    assert offal and offal[0].score == 0 and not offal[0].because, "no 'because you love chicken'"
    ranked = rank_offers(
        demo, [fact("chicken liver")], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER
    )
    assert ranked[0].offer.id == "OFF-004" and ranked[0].because, "what it is still counts"


def test_a_like_of_the_same_kind_is_named_as_such(demo: Catalogue, fact: MakeFact) -> None:
    ranked = rank_offers(
        demo, [fact("goat cheese")], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER
    )
    week = next(r for r in ranked if r.offer.id == "OFF-008")
    assert week.kinds == (None,) and explain(week, today=MONDAY).startswith("because you told")
    # Sharing only the general kind ("cheese") is no link: a Comté is not for the goat cheese
    # lover because they love goat cheese.
    comte = next(r for r in ranked if r.offer.id == "OFF-005")
    assert comte.score == 0 and not comte.because
    # Sharing the distinctive word is one, said as such.
    ranked = rank_offers(
        demo, [fact("duck confit")], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER
    )
    board = next(r for r in ranked if r.offer.id == "OFF-028")
    assert board.kinds == ("duck",)
    assert explain(board, today=MONDAY).startswith("because it's duck too, and you told me")


def test_two_likes_of_one_message_are_quoted_once(demo: Catalogue, fact: MakeFact) -> None:
    said = "I love Comté and Beaufort"
    facts = [fact("Comté", stated=said), fact("Beaufort", stated=said)]
    [board] = [
        r
        for r in rank_offers(demo, facts, today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER)
        if r.offer.id == "OFF-006"
    ]
    assert len(board.because) == 2
    assert explain(board, today=MONDAY).count(said) == 1


def test_an_avoid_said_in_two_parts_reaches_the_products_with_both(
    demo: Catalogue, fact: MakeFact
) -> None:
    # No single word of Comté says "raw-milk cheese": its tag "raw milk" and its kind do.
    raw_milk_cheese = fact("raw-milk cheese", "avoid", reason="health")
    assert violates(demo.product("CHE-001"), [raw_milk_cheese]) == raw_milk_cheese
    ranked = rank_offers(
        demo, [raw_milk_cheese, fact("cheese")], today=MONDAY, limit=EVERYTHING, policy=EVERY_OFFER
    )
    offered = offered_products(ranked)
    assert offered and not [p.sku for p in offered if "raw milk" in p.tags]
    assert any(p.category == "cheese" for p in offered), "pasteurised cheeses are still offered"


def test_what_is_asked_for_is_answered_and_said_so(demo: Catalogue, fact: MakeFact) -> None:
    asked = fact("oysters", "asked", stated="any oysters this weekend?")
    [first, *_] = rank_offers(demo, [asked], today=SATURDAY)
    assert first.offer.title == "Oyster Saturday"
    assert explain(first, today=SATURDAY) == "because you asked for oysters"
