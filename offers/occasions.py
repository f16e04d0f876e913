"""Who an offer is for: an occasion the customer is preparing, or their household, and how
much of each product that takes ("For your dinner party on Saturday 5 December, for 8: 2 kg of
Charolais rib of beef and 2 bottles of Bourgogne Pinot Noir").

Occasions and household size come from the customer's habits (tastes.household writes them:
"is hosting a dinner party for 8" next Saturday, "cooks for 4"); a day said relative to when it
was said ("next Saturday") is resolved from that date. Quantities use the product's unit and
a portion per person for its counter (PORTION_G), shop defaults a shop can change. Pure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from offers.catalogue import Product
from offers.ranking import Habit, utc_day
from offers.reasons import MONTHS, join_and

HORIZON_DAYS = 21  # an occasion further away than this is not what today's offers are for
# Grams per person of a product sold by weight, by counter.
PORTION_G = {"butcher": 250, "fishmonger": 180, "cheese": 60, "charcuterie": 70, "deli": 100}
PEOPLE_PER_BOTTLE = 3  # a 75 cl bottle pours about six glasses: two each
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOSTING = re.compile(
    r"^is (?:hosting an? (?P<kind>.+?)|having (?P<guests>guests))(?: for (?P<n>\d+))?$"
)
_COOKS_FOR = re.compile(r"^cooks for (?P<n>\d+)$")


@dataclass(frozen=True)
class Occasion:
    kind: str  # "dinner party", "barbecue", "guests"
    day: date | None  # None: said without a day we can place
    people: int | None


def resolve_day(when: str | None, said_on: date) -> date | None:
    """'next Saturday', 'Saturday', 'tomorrow', 'tonight', 'this weekend' from the day said."""
    if not when:
        return None
    low = when.lower()
    if "tomorrow" in low:
        return said_on + timedelta(days=1)
    if "tonight" in low or "this evening" in low or "today" in low:
        return said_on
    if "weekend" in low:
        if low.startswith("next") and said_on.weekday() < 5:
            return None  # this coming one or the one after: people mean both
        return said_on + timedelta(days=(5 - said_on.weekday()) % 7)
    for number, name in enumerate(_DAYS):
        if name in low:
            ahead = (number - said_on.weekday()) % 7
            return said_on + timedelta(days=ahead or 7)
    return None


def occasions(habits: Iterable[Habit]) -> list[Occasion]:
    found: list[Occasion] = []
    for h in habits:
        match = _HOSTING.match(h.what)
        if match is None:
            continue
        kind = "guests" if match.group("guests") else str(match.group("kind"))
        people = int(match.group("n")) if match.group("n") else None
        found.append(Occasion(kind, resolve_day(h.when, utc_day(h.at)), people))
    return found


def upcoming_occasion(habits: Sequence[Habit], today: date) -> Occasion | None:
    """The nearest occasion still to come within HORIZON_DAYS (the one "it" refers to)."""
    coming = [
        (o.day, o)
        for o in occasions(habits)
        if o.day is not None and 0 <= (o.day - today).days <= HORIZON_DAYS
    ]
    return min(coming, key=lambda c: c[0], default=(None, None))[1]


_CHILDREN = re.compile(r"^has (?P<n>\d+) children$")


def _latest_number(habits: Iterable[Habit], pattern: re.Pattern[str]) -> int | None:
    """The number of the latest habit the pattern matches ("cooks for 4": 4)."""
    said = [(h.at, int(m.group("n"))) for h in habits if (m := pattern.match(h.what))]
    return max(said)[1] if said else None


def children(habits: Iterable[Habit]) -> int:
    """How many children the customer said they have (0 when unsaid)."""
    return _latest_number(habits, _CHILDREN) or 0


def household_size(habits: Iterable[Habit]) -> int | None:
    """How many the customer cooks for, the latest said."""
    return _latest_number(habits, _COOKS_FOR)


def quantity(p: Product, people: int, drinkers: int | None = None) -> str | None:
    """How much of a product `people` need (wine: `drinkers` of them, all by default), in the
    shop's unit, or None when it cannot say."""
    unit = p.unit.lower()
    if unit == "per kg" and p.category in PORTION_G:
        grams = people * PORTION_G[p.category]
        kilos = math.ceil(grams / 250) * 0.25  # in quarter kilos, as a counter weighs
        shown = f"{kilos:g} kg" if kilos >= 1 else f"{int(kilos * 1000)} g"
        return f"{shown} of {p.name}"
    if unit.startswith("per bottle"):
        n = math.ceil(max(1, people if drinkers is None else drinkers) / PEOPLE_PER_BOTTLE)
        return f"{n} bottle{'s' * (n > 1)} of {p.name}"
    if unit == "per dish for two":
        n = math.ceil(people / 2)
        return f"{n} × {p.name} (each for two)"
    if unit == "per dozen":
        n = math.ceil(people * 6 / 12)
        return f"{n} dozen {p.name}"
    return None


def _day_words(day: date) -> str:
    return f"{_DAYS[day.weekday()].capitalize()} {day.day} {MONTHS[day.month - 1]}"


def for_whom_note(products: Sequence[Product], habits: Sequence[Habit], today: date) -> str | None:
    """'For your dinner party on Saturday 5 December, for 8: 2 kg of ...', or for the household
    ('For the 4 of you: ...'); None when there is nobody to count or nothing to measure."""
    occasion = upcoming_occasion(habits, today)
    people = occasion.people if occasion and occasion.people else household_size(habits)
    # A household's children do not drink the wine; an occasion's guests are all counted.
    adults = None if occasion else (people or 0) - children(habits)
    amounts = [q for p in products if people and (q := quantity(p, people, adults))]
    if occasion is not None:
        what = "guests" if occasion.kind == "guests" else f"your {occasion.kind}"
        head = f"For {what} on {_day_words(occasion.day)}" if occasion.day else f"For {what}"
        if people and amounts:
            return f"{head}, for {people}: {join_and(amounts)}."
        return f"{head}." if occasion.kind != "guests" else None
    if people and amounts:
        return f"For the {people} of you: {join_and(amounts)}."
    return None
