"""extract_habits: when and how often a customer shops, and what they do."""

from __future__ import annotations

import pytest

from tastes import extract_habits

HABITS: list[tuple[str, list[tuple[str, str | None, str | None]]]] = [
    ("I usually come on Saturday mornings", [("shops", "Saturday morning", "weekly")]),
    ("I buy a case of wine each month", [("buys a case of wine", None, "monthly")]),
    ("every Friday evening I pick up fish", [("picks up fish", "Friday evening", "weekly")]),
    ("I come in every other Saturday", [("shops", "Saturday", "fortnightly")]),
    ("We do our big shop at the weekend", [("shops", "weekend", "weekly")]),
    ("I pop in most days", [("shops", None, "daily")]),
    ("I shop daily", [("shops", None, "daily")]),
    (
        "I usually get a roast chicken for Sunday lunch",
        [("gets a roast chicken", "Sunday lunch", "weekly")],
    ),
    (
        "On the first Saturday of the month I stock up on cheese",
        [("stocks up on cheese", "first Saturday of the month", "monthly")],
    ),
    ("I order a turkey before Christmas", [("orders a turkey", "Christmas", None)]),
    (
        "I usually come on Saturday mornings, and I buy a case of wine each month",
        [("shops", "Saturday morning", "weekly"), ("buys a case of wine", None, "monthly")],
    ),
    (
        "I come on Saturday mornings and Friday evenings",
        [("shops", "Saturday morning", "weekly"), ("shops", "Friday evening", "weekly")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), HABITS, ids=lambda v: str(v)[:40])
def test_habits(text: str, expected: list[tuple[str, str | None, str | None]]) -> None:
    assert [(h.what, h.when, h.frequency) for h in extract_habits(text)] == expected


@pytest.mark.parametrize(
    "text", ["I love lamb", "I'm coming this Saturday", "hello", "thanks, see you tomorrow"]
)
def test_no_habit_without_a_recurring_time(text: str) -> None:
    assert extract_habits(text) == []


def test_habit_keeps_the_customers_words() -> None:
    (habit,) = extract_habits("Hi!  I usually come on Saturday mornings.")
    assert habit.stated == "I usually come on Saturday mornings"
