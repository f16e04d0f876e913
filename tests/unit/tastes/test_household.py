"""Household and occasions are habits: who they cook for, children, events, a budget."""

from __future__ import annotations

import pytest

from tastes import describe_household, extract_household


def whats(text: str) -> list[tuple[str, str | None]]:
    return [(h.what, h.when) for h in extract_household(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm cooking for four", [("cooks for 4", None)]),
        ("we're a family of 5", [("cooks for 5", None)]),
        ("there are six of us at home", [("cooks for 6", None)]),
        ("we have two kids", [("has 2 children", None)]),
        ("my children love it", [("has children", None)]),
        (
            "i'm throwing a dinner party next saturday",
            [("is hosting a dinner party", "next Saturday")],
        ),
        ("having friends over on friday evening", [("is having guests", "Friday evening")]),
        (
            "I'm having a dinner party next Saturday for 8",
            [("is hosting a dinner party for 8", "next Saturday")],
        ),
        (
            "a birthday party on Sunday, 12 guests",
            [("is hosting a birthday party for 12", "Sunday")],
        ),
        ("my budget is about 50 euros", [("has a budget of €50", None)]),
        ("no more than £40 please", [("has a budget of £40", None)]),
    ],
)
def test_household_and_occasions(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert whats(text) == expected


@pytest.mark.parametrize(
    "text",
    ["I love lamb", "we have no kids", "I'd like 2 steaks", "it costs 50 euros", "for one"],
)
def test_nothing_household_is_invented(text: str) -> None:
    assert extract_household(text) == []


def test_several_in_one_message_keep_the_words() -> None:
    found = extract_household("cooking for six this weekend, budget around 80 euros")
    assert [h.what for h in found] == ["cooks for 6", "has a budget of €80"]
    assert all(h.stated == "cooking for six this weekend, budget around 80 euros" for h in found)


def test_told_back_in_the_second_person() -> None:
    (party,) = extract_household("a dinner party next Saturday")
    assert describe_household(party) == "you're hosting a dinner party next Saturday"
    (four,) = extract_household("cooking for 4")
    assert describe_household(four) == "you cook for 4"
