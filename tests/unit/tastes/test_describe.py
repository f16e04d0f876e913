"""describe: the bot's own words to confirm a fact back to the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from profile_store.models import Polarity
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
    assert [describe(f) for f in facts] == [
        "you love veal paupiettes",
        "you are allergic to walnuts",
    ]


# ------------------------------------------------------------------ household members

MONDAY = date(2026, 11, 30)
END_OF_SUNDAY = datetime(2026, 12, 6, 23, 59, 59, tzinfo=UTC)


def _said(
    subject: str,
    polarity: str,
    reason: str | None = None,
    strength: int = -2,
    *,
    member: str | None = None,
    until: datetime | None = None,
) -> str:
    fact = StatedFact(subject, polarity, reason, strength, "", None, True, member, until)
    return describe(fact, today=MONDAY)


MEMBERS = [
    (("rabbit", "dislike", None, -2), "husband", "your husband can't stand rabbit"),
    (("sausages", "like", None, 2), "kids", "your kids love sausages"),
    (("lamb", "like", None, 1), "mother-in-law", "your mother-in-law likes lamb"),
    (("sesame", "avoid", "allergy"), "daughter", "your daughter is allergic to sesame"),
    (("nuts", "avoid", "allergy"), "twins", "your twins are allergic to nuts"),
    (("vegan", "avoid", "diet"), "wife", "your wife follows a vegan diet"),
    (("vegetarian", "avoid", "diet"), "guests", "your guests follow a vegetarian diet"),
    (("olives", "dislike", None, -1), "partner", "your partner isn't keen on olives"),
    (("olives", "dislike", None, -1), "children", "your children aren't keen on olives"),
    (("pork", "avoid", "religion"), "guests", "your guests don't eat pork for religious reasons"),
    (("pork", "avoid", "religion"), "father", "your father doesn't eat pork for religious reasons"),
    (("halal", "avoid", "religion"), "flatmate", "your flatmate only eats halal"),
    (("milk", "avoid", "intolerance"), "daughter", "your daughter is lactose intolerant"),
    (("gluten", "avoid", "intolerance"), "son", "your son can't tolerate gluten"),
    (("sugar", "avoid", "health"), "husband", "your husband avoids sugar for health reasons"),
    (("sugar", "avoid", "health"), "parents", "your parents avoid sugar for health reasons"),
    (("beef", "avoid", "diet"), "in-laws", "your in-laws don't eat beef"),
    (("fish", "avoid", None), "boss", "your boss avoids fish"),
    (("pizza", "like", None, 2), "teenagers", "your teenagers love pizza"),
    (("peas", "like", None, 1), "grandchildren", "your grandchildren like peas"),
    (("peas", "like", None, 1), "girls", "your girls like peas"),
    (("peas", "like", None, 1), "boys", "your boys like peas"),
    (("peas", "like", None, 1), "grandkids", "your grandkids like peas"),
    (("peas", "like", None, 1), "sons-in-law", "your sons-in-law like peas"),
    (("truffle crisps", "like", None, 2), "other half", "your other half loves truffle crisps"),
    (("avocado", "like", None, 2), "the baby", "your baby loves avocado"),
    (("anchovies", "dislike", None, -2), "Mum", "your mum can't stand anchovies"),
    (("Brie", "like", None, 2), "my daughter", "your daughter loves Brie"),
    (("dairy", "avoid", "health"), "mum's", "your mum avoids dairy for health reasons"),
    (("lamb", "like", None, 1), "James", "James likes lamb"),
    (("lamb", "like", None, 1), "Mother-in-law", "your mother-in-law likes lamb"),
    (("lamb", "like", None, 1), "me", "you like lamb"),
]


@pytest.mark.parametrize(("fact", "member", "words"), MEMBERS, ids=lambda v: str(v)[:30])
def test_a_members_fact_is_said_in_the_third_person(
    fact: tuple[Any, ...], member: str, words: str
) -> None:
    assert _said(*fact, member=member) == words


def test_a_stored_row_with_a_member_is_described_too() -> None:
    row = SimpleNamespace(
        subject="rabbit", polarity=Polarity.DISLIKE, reason=None, strength=-2, member="husband"
    )
    assert describe(row) == "your husband can't stand rabbit"
    assert describe(SimpleNamespace(subject="lamb", polarity="like")) == "you like lamb"


# ------------------------------------------------------------------ time-bounded facts

UNTIL = [
    (("red meat", "avoid", None), None, "you're off red meat until Sunday 6 December"),
    (
        ("red meat", "avoid", None),
        "husband",
        "your husband is off red meat until Sunday 6 December",
    ),
    (("sweets", "avoid", None), "kids", "your kids are off sweets until Sunday 6 December"),
    (("carbs", "avoid", "diet"), None, "you're off carbs until Sunday 6 December"),
    (
        ("alcohol", "avoid", "health"),
        None,
        "you're avoiding alcohol for health reasons until Sunday 6 December",
    ),
    (
        ("meat", "avoid", "religion"),
        None,
        "you're not eating meat for religious reasons until Sunday 6 December",
    ),
    (
        ("vegetarian", "avoid", "diet"),
        "guests",
        "your guests are following a vegetarian diet until Sunday 6 December",
    ),
    (("lamb", "like", None, 2), None, "you fancy lamb until Sunday 6 December"),
    (("oysters", "like", None, 1), "wife", "your wife fancies oysters until Sunday 6 December"),
    (("lamb", "dislike", None, -1), None, "you'd rather not have lamb until Sunday 6 December"),
    (
        ("lamb", "dislike", None, -1),
        "husband",
        "your husband would rather not have lamb until Sunday 6 December",
    ),
    (("fish", "dislike", None, -2), None, "you can't face fish until Sunday 6 December"),
]


@pytest.mark.parametrize(("fact", "member", "words"), UNTIL, ids=lambda v: str(v)[:30])
def test_a_time_bounded_fact_says_when_it_ends(
    fact: tuple[Any, ...], member: str | None, words: str
) -> None:
    assert _said(*fact, member=member, until=END_OF_SUNDAY) == words


@pytest.mark.parametrize(
    ("until", "words"),
    [
        # The end of the day, however the reader wrote it: the day is the UTC day it ends.
        (datetime(2026, 12, 6, 23, 59, 59, 999999, tzinfo=UTC), "until Sunday 6 December"),
        (datetime(2026, 12, 7, 0, 0, tzinfo=UTC), "until Sunday 6 December"),
        (datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), "until Thursday 31 December"),
        # Into next year but soon: no year; far off: the year.
        (datetime(2027, 1, 31, 23, 59, 59, tzinfo=UTC), "until Sunday 31 January"),
        (datetime(2027, 6, 30, 23, 59, 59, tzinfo=UTC), "until Wednesday 30 June 2027"),
        (datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC), "for today"),
    ],
)
def test_the_end_is_said_as_a_day_without_time(until: datetime, words: str) -> None:
    assert _said("wine", "avoid", until=until) == f"you're off wine {words}"


def test_a_stored_row_with_until_is_described() -> None:
    row = SimpleNamespace(
        subject="red meat",
        polarity=Polarity.AVOID,
        reason=None,
        strength=None,
        member=None,
        until=END_OF_SUNDAY,
    )
    assert describe(row, today=MONDAY) == "you're off red meat until Sunday 6 December"
