"""describe: the bot's own words to confirm a fact back to the customer."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tastes import StatedFact, Vocabulary, describe, extract_facts


@dataclass
class Stored:
    """A stored preference as the profile store returns it (no strength column needed)."""

    subject: str
    polarity: str
    reason: str | None


DESCRIBED = [
    (Stored("veal paupiettes", "like", None), 2, "you love veal paupiettes"),
    (Stored("Comté", "like", None), 1, "you like Comté"),
    (Stored("liver pâté", "dislike", None), -2, "you can't stand liver pâté"),
    (Stored("mutton", "dislike", None), -1, "you're not keen on mutton"),
    (Stored("nuts", "avoid", "allergy"), -2, "you are allergic to nuts"),
    (Stored("milk", "avoid", "intolerance"), -2, "you are lactose intolerant"),
    (Stored("gluten", "avoid", "intolerance"), -2, "you can't tolerate gluten"),
    (Stored("vegetarian", "avoid", "diet"), -2, "you follow a vegetarian diet"),
    (Stored("vegan", "avoid", "diet"), -2, "you follow a vegan diet"),
    (Stored("halal", "avoid", "religion"), -2, "you only eat halal"),
    (Stored("pork", "avoid", "religion"), -2, "you don't eat pork for religious reasons"),
    (Stored("salt", "avoid", "health"), -2, "you avoid salt for health reasons"),
    (Stored("pork", "avoid", "diet"), -2, "you don't eat pork"),
    (Stored("sugar", "avoid", None), -2, "you avoid sugar"),
]


@pytest.mark.parametrize(("fact", "strength", "words"), DESCRIBED, ids=lambda v: str(v)[:30])
def test_describe_any_object_with_subject_polarity_reason(
    fact: Stored, strength: int, words: str
) -> None:
    with_strength = StatedFact(fact.subject, fact.polarity, fact.reason, strength, "", None, True)
    assert describe(with_strength) == words


def test_without_strength_a_like_is_a_plain_like() -> None:
    assert describe(Stored("lamb", "like", None)) == "you like lamb"
    assert describe(Stored("lamb", "dislike", None)) == "you're not keen on lamb"


def test_describes_what_was_extracted(vocabulary: Vocabulary) -> None:
    facts = extract_facts("I love veal paupiettes but I'm allergic to walnuts", vocabulary)
    assert [describe(f) for f in facts] == ["you love veal paupiettes", "you are allergic to nuts"]
