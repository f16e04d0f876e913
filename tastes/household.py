"""Household and occasions from a customer's words: 'we're four', 'a dinner party next Saturday'.

They are stored as habits (what, when), not as preferences: they are not tastes, an offer is
never filtered on them, and the habit's `what` keeps them readable in the export
("cooks for 4", "has 2 children", "is hosting a dinner party" next Saturday, "has a budget of €50").
"""

from __future__ import annotations

import re

from tastes.models import StatedHabit
from tastes.text import clean_input

_B = r"(?<![\w'])"
_E = r"(?![\w'])"
_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a couple": 2,
}  # fmt: skip
_NUM = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"

_COOKS_FOR = re.compile(
    _B + r"(?:cook(?:s|ing)?|shop(?:s|ping)?|buy(?:s|ing)?|feed(?:s|ing)?|catering|dinner)"
    r"\s+for\s+(?P<n>" + _NUM + r")(?:\s+(?:people|persons|of us|guests|adults))?" + _E
)
_WE_ARE = re.compile(
    _B + r"(?:we(?:'re| are)|there(?:'re| are))\s+(?P<n>" + _NUM + r")(?:\s+of us)?"
    r"(?:\s+(?:at home|in the family|in my family|in the house|people))?"
    + _E
    + r"|"
    + _B
    + r"(?:a\s+)?(?:family|household)\s+of\s+(?P<n2>"
    + _NUM
    + r")"
    + _E
)
_CHILDREN = re.compile(
    _B + r"(?:(?P<n>" + _NUM + r"|a couple of)\s+(?:young\s+|little\s+|small\s+)?"
    r"(?:kids|children|boys|girls|teenagers|sons|daughters)"
    r"|(?:my|our|the)\s+(?:kids|children|little ones|toddler|baby)"
    r"|(?:a|one)\s+(?:toddler|baby|young child|little one|son|daughter))" + _E
)
_NO_CHILDREN = re.compile(_B + r"(?:no|don't have|do not have|haven't got)\s+(?:kids|children)")
_OCCASION = re.compile(
    _B + r"(?P<what>dinner party|dinner parties|birthday(?: party| dinner| lunch)?|barbecue|bbq"
    r"|christmas (?:dinner|lunch|eve)|new year's eve|anniversary(?: dinner)?|wedding"
    r"|garden party|picnic|party|buffet|family lunch|family dinner"
    r"|sunday lunch with (?:friends|family)"
    r"|(?:having|have|got|expecting) (?:friends|guests|people|family) (?:over|round|coming))" + _E
)
_OCCASION_WHEN = re.compile(
    _B + r"(?P<when>(?:next|this|on|coming)\s+(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day"
    r"|week-?end|week|month)(?:\s+(?:evening|night|lunch|lunchtime|morning|afternoon))?"
    r"|tomorrow(?:\s+(?:evening|night|lunch|morning|afternoon))?|tonight|this evening"
    r"|in\s+(?:two|three|a few|2|3)\s+(?:days|weeks)"
    r"|(?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day(?:\s+(?:evening|night|lunch))?"
    r"|for\s+christmas|at\s+christmas|for\s+new\s+year)" + _E
)
_BUDGET = re.compile(
    _B + r"(?:budget(?:\s+(?:is|of|around|about|is about|is around))?|spend(?:ing)?\s+"
    r"(?:about|around|up to|no more than|at most|under|less than)?|no more than|under"
    r"|less than|up to|at most|max(?:imum)?)\s*(?:of\s+)?(?:about\s+|around\s+)?"
    r"(?P<cur1>€|eur|£|\$)?\s*(?P<amount>\d{1,5}(?:[.,]\d{1,2})?)\s*"
    r"(?P<cur2>€|euros?|eur|pounds?|quid|£|dollars?|\$)?" + _E
)


def _number(word: str) -> int | None:
    word = word.strip().lower()
    if word.isdigit():
        return int(word)
    return _NUMBERS.get(word)


_GUESTS = re.compile(
    _B + r"(?:for\s+(?P<n>" + _NUM + r")(?:\s+(?:people|persons|guests|adults|of us))?"
    r"|(?P<n2>" + _NUM + r")\s+(?:guests|people|persons|of us|friends|adults))" + _E
)


def _guests(low: str) -> int | None:
    """How many the occasion is for ("a dinner party next Saturday for 8", "10 guests")."""
    for match in _GUESTS.finditer(low):
        n = _number(match.group("n") or match.group("n2") or "")
        if n and 1 < n <= 60:
            return n
    return None


def _when(low: str, near: int) -> str | None:
    """The time phrase closest to the occasion, in the customer's words, capitalised days."""
    best: tuple[int, str] | None = None
    for match in _OCCASION_WHEN.finditer(low):
        distance = abs(match.start() - near)
        if best is None or distance < best[0]:
            best = (distance, match.group("when"))
    if best is None:
        return None
    when = re.sub(r"^on\s+", "", best[1])
    return re.sub(
        r"\b(\w+day)\b",
        lambda m: m.group(1).capitalize() if m.group(1) != "today" else m.group(1),
        when,
    )


def extract_household(text: str) -> list[StatedHabit]:
    """Household size, children, coming occasions and a budget, as habits with the words said."""
    stated = clean_input(text)
    low = stated.lower().replace("’", "'")
    found: list[StatedHabit] = []

    def add(what: str, when: str | None = None) -> None:
        if all(h.what != what for h in found):
            found.append(StatedHabit(what=what, when=when, frequency=None, stated=stated))

    for match in _COOKS_FOR.finditer(low):
        n = _number(match.group("n"))
        if n and 1 < n <= 30:
            add(f"cooks for {n}")
    for match in _WE_ARE.finditer(low):
        n = _number(match.group("n") or match.group("n2") or "")
        if n and 1 < n <= 30:
            add(f"cooks for {n}")
    if not _NO_CHILDREN.search(low):
        for match in _CHILDREN.finditer(low):
            n = _number(match.group("n") or "") if match.group("n") else None
            add(f"has {n} children" if n and n > 1 else "has children")
            break
    for match in _OCCASION.finditer(low):
        what = match.group("what")
        if what.startswith(("having", "have", "got", "expecting")):
            what = "guests"
        what = {"bbq": "barbecue", "dinner parties": "dinner party"}.get(what, what)
        guests = _guests(low)
        party = f"is hosting a {what}" if what != "guests" else "is having guests"
        add(party + (f" for {guests}" if guests else ""), _when(low, match.start()))
    for match in _BUDGET.finditer(low):
        amount = match.group("amount").replace(",", ".")
        currency = (match.group("cur1") or match.group("cur2") or "").lower()
        if not currency and "budget" not in match.group(0):
            continue
        symbol = "£" if currency in ("£", "pound", "pounds", "quid") else "€"
        symbol = "$" if currency in ("$", "dollar", "dollars") else symbol
        add(f"has a budget of {symbol}{amount.removesuffix('.00')}")
    return found


def describe_household(habit: StatedHabit) -> str | None:
    """The bot's words for a household habit ('you cook for 4'), None for an ordinary habit."""
    what = habit.what
    when = f" {habit.when}" if habit.when else ""
    if what.startswith("cooks for "):
        return "you cook for " + what.removeprefix("cooks for ")
    if what.startswith("has ") and what.endswith("children"):
        return "you have " + what.removeprefix("has ")
    if what.startswith("is hosting a "):
        return "you're hosting a " + what.removeprefix("is hosting a ") + when
    if what == "is having guests":
        return "you're having guests" + when
    if what.startswith("has a budget of "):
        return "your budget is about " + what.removeprefix("has a budget of ")
    return None


def is_household(habit: StatedHabit) -> bool:
    return describe_household(habit) is not None


__all__ = ["describe_household", "extract_household", "is_household"]
