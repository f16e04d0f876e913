"""Offers for an occasion or a household: which day, for how many, how much of each product."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from offers.catalogue import Catalogue
from offers.occasions import (
    for_whom_note,
    household_size,
    quantity,
    resolve_day,
    upcoming_occasion,
)
from offers.ranking import Habit

MONDAY = date(2026, 11, 30)
SAID = datetime(2026, 11, 30, 9, tzinfo=UTC)


def habit(what: str, when: str | None = None, at: datetime = SAID) -> Habit:
    return Habit(what, when, f"{what} {when or ''}", "web", at)


@pytest.mark.parametrize(
    ("when", "day"),
    [
        ("next Saturday", date(2026, 12, 5)),
        ("Saturday", date(2026, 12, 5)),
        ("tomorrow", date(2026, 12, 1)),
        ("this weekend", date(2026, 12, 5)),
        ("Monday", date(2026, 12, 7)),
        ("at some point", None),
    ],
)
def test_a_day_is_placed_from_when_it_was_said(when: str, day: date | None) -> None:
    assert resolve_day(when, MONDAY) == day


def test_the_occasion_to_come_is_the_one_offers_are_for() -> None:
    habits = [
        habit("is hosting a barbecue", "Saturday", datetime(2026, 11, 2, tzinfo=UTC)),  # past
        habit("is hosting a dinner party for 8", "next Saturday"),
        habit("cooks for 4"),
    ]
    found = upcoming_occasion(habits, MONDAY)
    assert found is not None
    assert (found.kind, found.day, found.people) == ("dinner party", date(2026, 12, 5), 8)
    assert upcoming_occasion(habits, date(2026, 12, 6)) is None, "once it is over"
    assert household_size(habits) == 4


def test_quantities_follow_the_unit_and_the_counter(demo: Catalogue) -> None:
    rib = demo.product("BUT-005")  # Charolais rib of beef, per kg
    assert quantity(rib, 8) == "2 kg of Charolais rib of beef"
    assert quantity(rib, 2) == "500 g of Charolais rib of beef"
    wine = demo.product("WIN-001")  # per bottle
    assert quantity(wine, 8) == "3 bottles of Bourgogne Pinot Noir"
    assert quantity(wine, 2) == "1 bottle of Bourgogne Pinot Noir"


def test_the_note_names_the_occasion_its_day_and_the_amounts(demo: Catalogue) -> None:
    products = [demo.product("BUT-005"), demo.product("WIN-001")]
    party = [habit("is hosting a dinner party for 8", "next Saturday")]
    assert for_whom_note(products, party, MONDAY) == (
        "For your dinner party on Saturday 5 December, for 8: 2 kg of Charolais rib of beef"
        " and 3 bottles of Bourgogne Pinot Noir."
    )
    family = [habit("cooks for 4"), habit("has 2 children")]
    assert for_whom_note(products, family, MONDAY) == (
        # Two of the four are children: the wine is for two.
        "For the 4 of you: 1 kg of Charolais rib of beef and 1 bottle of Bourgogne Pinot Noir."
    )
    assert for_whom_note(products, [], MONDAY) is None
