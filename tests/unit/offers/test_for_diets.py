"""Offers made for a diet (a kosher Shabbat table, a gluten-free bakery): for those who keep it."""

from __future__ import annotations

from typing import Any

from offers.catalogue import Catalogue
from offers.ranking import Fact, rank_offers
from offers.reasons import explain
from tests.unit.offers.conftest import EVERY_OFFER, EVERYTHING, MONDAY, MakeFact

KOSHER_TABLE, GLUTEN_FREE_BAKERY, PLANT_BASED_DELI = "OFF-022", "OFF-020", "OFF-018"


def ids(demo: Catalogue, facts: list[Fact], **kw: Any) -> list[str]:
    return [r.offer.id for r in rank_offers(demo, facts, today=MONDAY, **kw)]


def test_an_offer_made_for_a_diet_is_never_suggested_to_others(
    demo: Catalogue, fact: MakeFact
) -> None:
    # Its wine is a red wine, but a red wine lover who keeps no kosher table is not offered it.
    assert demo.offer(KOSHER_TABLE).for_diets == ("kosher",)
    assert KOSHER_TABLE not in ids(demo, [fact("red wine")], limit=EVERYTHING, policy=EVERY_OFFER)
    everyone = ids(demo, [], limit=EVERYTHING)
    assert everyone and not {KOSHER_TABLE, GLUTEN_FREE_BAKERY, PLANT_BASED_DELI} & set(everyone)


def test_it_comes_first_for_those_who_keep_it_and_says_why(demo: Catalogue, fact: MakeFact) -> None:
    kosher = fact("kosher", "avoid", reason="religion", stated="we keep kosher at home")
    [first, *_] = rank_offers(demo, [kosher], today=MONDAY)
    assert first.offer.id == KOSHER_TABLE and first.kept == ("kosher", kosher)
    assert explain(first, today=MONDAY) == (
        "because it's kosher, and you told me on the website on 3 March that "
        '"we keep kosher at home"'
    )


def test_a_gluten_allergy_a_vegan_and_a_household_member_keep_their_diets(
    demo: Catalogue, fact: MakeFact
) -> None:
    assert ids(demo, [fact("gluten", "avoid", reason="allergy")])[0] == GLUTEN_FREE_BAKERY
    vegan = fact("vegan", "avoid", reason="diet", stated="vegan here")
    [deli, *_] = rank_offers(demo, [vegan], today=MONDAY)
    assert deli.offer.id == PLANT_BASED_DELI and deli.kept == ("vegan", vegan)  # not vegetarian
    daughter = fact("vegetarian", "avoid", reason="diet", member="daughter")
    assert PLANT_BASED_DELI in ids(demo, [daughter, fact("houmous")])
    # A dislike says nothing of a diet kept.
    assert KOSHER_TABLE not in ids(demo, [fact("kosher", "dislike")], limit=EVERYTHING)
