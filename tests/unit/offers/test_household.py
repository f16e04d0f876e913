"""The customer shops for the household: members' avoids and dislikes filter, likes count."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from offers.catalogue import Catalogue
from offers.ranking import Fact, rank_offers, violates
from offers.reasons import explain, member_likes
from tests.unit.offers.conftest import EVERY_OFFER, EVERYTHING, MONDAY, SATURDAY, MakeFact


def _ids(catalogue: Catalogue, facts: list[Fact], day: date = MONDAY) -> list[str]:
    return [
        r.offer.id
        for r in rank_offers(catalogue, facts, today=day, limit=EVERYTHING, policy=EVERY_OFFER)
    ]


def test_a_members_dislike_keeps_an_offer_away_the_customer_would_love(
    demo: Catalogue, fact: MakeFact
) -> None:
    mine = fact("veal paupiettes", stated="I love veal paupiettes", strength=2)
    assert _ids(demo, [mine])[0] == "OFF-001"
    husband = fact("veal paupiettes", "dislike", stated="my husband hates them", member="husband")
    assert "OFF-001" not in _ids(demo, [mine, husband])


def test_a_members_allergy_keeps_every_product_with_it_away(
    demo: Catalogue, fact: MakeFact
) -> None:
    daughter = fact("nuts", "avoid", reason="allergy", member="daughter")
    for day in (MONDAY, SATURDAY):
        likes = [fact("walnut bread"), fact("cheese")]
        ranked = rank_offers(
            demo, [daughter, *likes], today=day, limit=EVERYTHING, policy=EVERY_OFFER
        )
        assert ranked
        assert all("nuts" not in p.allergens for r in ranked for p in r.products)
    assert violates(demo.product("BAK-001"), [daughter]) == daughter  # walnut bread


def test_a_members_diet_holds_like_the_customers(demo: Catalogue, fact: MakeFact) -> None:
    guests = fact("vegetarian", "avoid", reason="diet", member="guests")
    ranked = rank_offers(
        demo, [guests, fact("lamb")], today=SATURDAY, limit=EVERYTHING, policy=EVERY_OFFER
    )
    assert ranked and all("vegetarian" in p.diets for r in ranked for p in r.products)


def test_a_members_like_counts_and_the_reason_names_the_member(
    demo: Catalogue, fact: MakeFact
) -> None:
    kids = fact(
        "sausages",
        stated="the kids go crazy for sausages",
        member="kids",
        strength=2,
        at=datetime(2026, 3, 3, tzinfo=UTC),
    )
    [first, *_] = rank_offers(demo, [kids], today=MONDAY)
    assert first.because == (kids,)
    assert explain(first, today=MONDAY) == (
        "because you told me on the website on 3 March that your kids love sausages "
        '("the kids go crazy for sausages")'
    )


def test_the_reason_names_whose_like_chose_the_offer(demo: Catalogue, fact: MakeFact) -> None:
    mine = fact("comté", stated="I adore Comté", at=datetime(2026, 4, 1, tzinfo=UTC))
    husband = fact(
        "walnut bread",
        stated="my husband likes walnut bread",
        member="husband",
        at=datetime(2026, 4, 2, tzinfo=UTC),
    )
    [first, *_] = rank_offers(demo, [mine, husband], today=MONDAY)
    assert first.offer.id == "OFF-006"  # Alpine board: Comté and a walnut loaf
    text = explain(first, today=MONDAY)
    assert 'that "I adore Comté"' in text
    assert 'that your husband likes walnut bread ("my husband likes walnut bread")' in text


@pytest.mark.parametrize(
    ("member", "strength", "words"),
    [
        ("husband", 1, "your husband likes lamb"),
        ("kids", 2, "your kids love lamb"),
        ("my wife", None, "your wife likes lamb"),
        ("in-laws", 1, "your in-laws like lamb"),
        ("mother-in-law", 1, "your mother-in-law likes lamb"),
        ("children", 1, "your children like lamb"),
        ("boss", 1, "your boss likes lamb"),
        ("Mum", 2, "your mum loves lamb"),
        ("Sophie", 2, "Sophie loves lamb"),
    ],
)
def test_member_likes_agrees_with_the_member(member: str, strength: int | None, words: str) -> None:
    assert member_likes(member, "lamb", strength) == words
