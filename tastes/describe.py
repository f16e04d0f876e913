"""The bot's own words for a fact, to confirm it back: 'you love veal paupiettes'.

A fact about someone else in the household is said in the third person with the right agreement
("your husband can't stand rabbit", "your kids love sausages"); a time-bounded fact says when it
ends ("you're off red meat until Sunday 6 December").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tastes.language import language
from tastes.members import is_plural
from tastes.vocabulary import DIETS, RELIGIOUS_DIETS

# A date further than this from today also says its year.
_YEAR_AFTER_DAYS = 180

# Household words a customer may capitalise ("Mum hates anchovies") that are still not names.
_ROLES = frozenset(
    {
        "mum", "mom", "mam", "mummy", "mommy", "mother", "dad", "daddy", "father", "papa",
        "grandma", "grandmother", "granny", "gran", "nan", "nana", "nanna", "grandad",
        "granddad", "grandpa", "grandfather", "husband", "hubby", "wife", "partner", "son",
        "daughter", "brother", "sister", "uncle", "aunt", "auntie", "baby", "kids", "children",
        "guests", "boyfriend", "girlfriend", "fiancé", "fiancée", "fiance", "fiancee",
    }
)  # fmt: skip
_POSSESSIVES = ("my ", "our ", "the ", "your ")
_YOURSELF = frozenset({"me", "i", "myself", "you", "yourself"})


@dataclass(frozen=True)
class _Who:
    """Who a fact is about, and how verbs agree with them."""

    name: str  # "you", "your husband", "your kids", "Sophie"
    second: bool = False
    plural: bool = False

    @property
    def as_plural(self) -> bool:
        return self.second or self.plural

    def verb(self, base: str, rest: str, *, adverb: str = "") -> str:
        """'you love X' / 'your kids love X' / 'your husband loves X' ('only eats halal')."""
        verb = base if self.as_plural else _third_singular(base)
        return " ".join(w for w in (self.name, adverb, verb, rest) if w)

    def cannot(self, rest: str) -> str:
        """'you can't stand', 'your husband can't stand'."""
        return f"{self.name} can't {rest}"

    def be(self, rest: str) -> str:
        """'you are' (uncontracted: 'you are allergic to'), 'your husband is', 'your kids are'."""
        return f"{self.name} {'are' if self.as_plural else 'is'} {rest}"

    def being(self, rest: str) -> str:
        """'you're off', 'your husband is off', 'your kids are off'."""
        return f"you're {rest}" if self.second else self.be(rest)

    def not_keen(self, rest: str) -> str:
        """'you're not keen on', 'your partner isn't keen on', 'your kids aren't keen on'."""
        if self.second:
            return f"you're not {rest}"
        return f"{self.name} {'aren' if self.plural else 'isn'}'t {rest}"

    def do_not(self, rest: str) -> str:
        """'you don't eat', 'your husband doesn't eat'."""
        return f"{self.name} {'don' if self.as_plural else 'doesn'}'t {rest}"

    def would(self, rest: str) -> str:
        """'you'd rather not', 'your husband would rather not'."""
        return f"you'd {rest}" if self.second else f"{self.name} would {rest}"


_YOU = _Who("you", second=True)


def _third_singular(verb: str) -> str:
    if verb.endswith("y") and verb[-2:-1] not in ("a", "e", "i", "o", "u"):
        return verb[:-1] + "ies"
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    return verb + "s"


def _who(member: object) -> _Who:
    """The customer's word for a household member, as the subject of the bot's sentence."""
    words = " ".join(str(member or "").replace("’", "'").split())
    low = words.lower()
    for possessive in _POSSESSIVES:
        if low.startswith(possessive):
            words, low = words[len(possessive) :], low[len(possessive) :]
    if low.endswith(("'s", "s'")):  # "husband's", "kids'"
        words, low = words[:-1].removesuffix("'"), low[:-1].removesuffix("'")
    if not words or low in _YOURSELF:
        return _YOU
    if words[0].isupper() and low.replace("-", " ").split()[0] not in _ROLES:
        return _Who(words)  # a name, one person: "James follows a vegan diet"
    return _Who(f"your {low}", plural=is_plural(low))


def _end_day(until: datetime) -> date:
    """The day a time-bounded fact ends: `until` is the end of that day in UTC."""
    at = until.astimezone(UTC) if until.tzinfo else until
    if at.time() == time(0):  # an exclusive end, midnight after the day
        at -= timedelta(microseconds=1)
    return at.date()


def until_words(until: datetime, today: date | None = None) -> str:
    """'until Sunday 6 December' ('... 2027' when far off), or 'for today'."""
    day = _end_day(until)
    today = today or datetime.now(UTC).date()
    if day == today:
        return "for today"
    lang = language()
    weekday, month = lang.weekdays[day.weekday()], lang.months[day.month - 1]
    words = f"{weekday.capitalize()} {day.day} {month.capitalize()}"
    if day.year != today.year and not 0 <= (day - today).days <= _YEAR_AFTER_DAYS:
        words += f" {day.year}"
    return f"until {words}"


def describe(fact: Any, *, today: date | None = None) -> str:
    """The bot's words for any object with .subject, .polarity, .reason (and .strength,
    .member, .until): a StatedFact or a stored Preference row."""
    subject = " ".join(str(getattr(fact, "subject", "") or "").split()) or "that"
    polarity = getattr(fact, "polarity", None)
    polarity = getattr(polarity, "value", polarity)  # the store's Polarity enum
    reason = getattr(fact, "reason", None)
    strength = getattr(fact, "strength", None)
    if not isinstance(strength, int) or isinstance(strength, bool):
        strength = None
    who = _who(getattr(fact, "member", None))
    until = getattr(fact, "until", None)
    if isinstance(until, datetime):
        return f"{_for_now(who, subject, polarity, reason, strength)} {until_words(until, today)}"
    if polarity == "like":
        return who.verb("love" if strength is not None and strength >= 2 else "like", subject)
    if polarity == "dislike":
        if strength is not None and strength <= -2:
            return who.cannot(f"stand {subject}")
        return who.not_keen(f"keen on {subject}")
    if polarity == "avoid":
        return _constraint(who, subject, reason)
    return f"you mentioned {subject}" + ("" if who.second else f" for {who.name}")


def _constraint(who: _Who, subject: str, reason: object) -> str:
    lowered = subject.lower()
    if lowered in RELIGIOUS_DIETS:
        food = "halal" if lowered == "halal" else "kosher"
        return who.verb("eat", food, adverb="only")
    if lowered in DIETS:
        article = "an" if lowered[0] in "aeiou" else "a"
        return who.verb("follow", f"{article} {lowered} diet")
    if reason == "allergy":
        return who.be(f"allergic to {subject}")
    if reason == "intolerance":
        if lowered == "milk":
            return who.be("lactose intolerant")
        return who.cannot(f"tolerate {subject}")
    if reason == "religion":
        return who.do_not(f"eat {subject} for religious reasons")
    if reason == "health":
        return who.verb("avoid", f"{subject} for health reasons")
    if reason == "diet":
        return who.do_not(f"eat {subject}")
    return who.verb("avoid", subject)


def _for_now(
    who: _Who, subject: str, polarity: object, reason: object, strength: int | None
) -> str:
    """A fact that holds for a while, without its end: 'you're off red meat'."""
    if polarity == "like":
        return who.verb("fancy", subject)
    if polarity == "dislike":
        if strength is not None and strength <= -2:
            return who.cannot(f"face {subject}")
        return who.would(f"rather not have {subject}")
    if polarity != "avoid":
        return f"you mentioned {subject}" + ("" if who.second else f" for {who.name}")
    lowered = subject.lower()
    if lowered in RELIGIOUS_DIETS:
        return who.being(f"only eating {'halal' if lowered == 'halal' else 'kosher'}")
    if lowered in DIETS:
        article = "an" if lowered[0] in "aeiou" else "a"
        return who.being(f"following {article} {lowered} diet")
    if reason == "allergy":
        return who.being(f"avoiding {subject} because of an allergy")
    if reason == "intolerance":
        return who.being(f"avoiding {subject} because of an intolerance")
    if reason == "religion":
        return who.being(f"not eating {subject} for religious reasons")
    if reason == "health":
        return who.being(f"avoiding {subject} for health reasons")
    return who.being(f"off {subject}")
