"""Why an offer, in the customer's own terms: the link to what they said, named faithfully.

A like is named only when the offer has the very thing liked or shares its distinctive word
("it's duck too, and you told me ... that \"I love duck confit\""); an offer close in meaning
with no nameable link is a discovery; an offer narrowed to the products that fit says which.
Pure functions over what offers.ranking chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from offers.ranking import ASKED, AVOID, Fact, Habit, RankedOffer, utc_day
from offers.vocabulary import diets_named

CHANNEL_WORDS = {
    "web": "on the website",
    "whatsapp": "on WhatsApp",
    "email": "by email",
    "rest": "here",
    "staff": "to our staff",
}
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
GENERAL_REASON = "because it's one of this week's offers and fits everything you've told me"
# Close in meaning to what the customer likes, with no link that can be named: said as such.
DISCOVERY_REASON = (
    "because it's something new I think you'd enjoy, and it fits everything you've told me"
)


def day_words(at: datetime, today: date) -> str:
    """'3 March', or '3 March 2025' when not in today's year (UTC day)."""
    day = utc_day(at)
    text = f"{day.day} {MONTHS[day.month - 1]}"
    return text if day.year == today.year else f"{text} {day.year}"


# Household words that take a plural verb without ending in s, and ones ending in s that do not.
_PLURAL_MEMBERS = frozenset({"children", "grandchildren", "people", "folk", "in-laws", "twins"})
_SINGULAR_MEMBERS = frozenset({"gramps", "pops", "missus", "missis", "boss"})
# Family words customers capitalise like names ("Mum loves it"): still "your mum".
_CAPITALISED_ROLES = frozenset(
    {"mum", "mom", "mam", "dad", "nan", "nana", "gran", "granny", "grandma", "grandpa", "grandad"}
)


def member_likes(member: str, subject: str, strength: int | None = None) -> str:
    """'your kids love sausages', 'your husband likes lamb', 'Sophie likes lamb'."""
    who = " ".join(member.replace("’", "'").split()).removesuffix("'s")
    for possessive in ("my ", "our ", "the ", "your "):
        who = who.removeprefix(possessive).removeprefix(possessive.capitalize())
    verb = "love" if strength is not None and strength >= 2 else "like"
    if who[:1].isupper() and who.lower() not in _CAPITALISED_ROLES:
        return f"{who} {verb}s {subject}"  # a name: one person
    who = who.lower()
    head = who.removesuffix("-in-law").split()[-1] if who.strip() else ""
    plural = head in _PLURAL_MEMBERS or (
        head.endswith("s")
        and len(head) > 2
        and head not in _SINGULAR_MEMBERS
        and not head.endswith(("ss", "us"))
    )
    return f"your {who} {verb if plural else verb + 's'} {subject}"


def _told(f: Fact | Habit, today: date, *, whose_like: bool = True) -> str:
    quoted = '"' + " ".join(f.stated.split()).replace('"', "'") + '"'
    if whose_like and isinstance(f, Fact) and f.member and f.member.strip():
        # The quote alone may not say whose taste it is ("the wife and I love duck").
        quoted = f"{member_likes(f.member, f.subject, f.strength)} ({quoted})"
    when = f"on {day_words(f.at, today)}"
    if f.channel == "staff":
        return f"you said {CHANNEL_WORDS['staff']} {when} that {quoted}"
    where = CHANNEL_WORDS.get(f.channel)
    return f"you told me {where + ' ' if where else ''}{when} that {quoted}"


def _ago(at: datetime, today: date) -> str:
    days = (today - utc_day(at)).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 7:
        return "a few days ago"
    if days < 14:
        return "last week"
    return f"on {day_words(at, today)}"


def join_and(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def narrowing_note(r: RankedOffer) -> str | None:
    """What a narrowed offer is for this customer: "For you: Vegetarian goat tomme and Spinach
    and goat cheese quiche, which are vegetarian." None when the offer is whole."""
    if not r.narrowed_by or not r.products:
        return None
    names = [p.name for p in r.products]
    plural = len(names) > 1
    why: list[str] = []
    for f in r.narrowed_by:
        diets = sorted(diets_named(f.subject))
        if diets and f.polarity == AVOID:
            why.append(("which are " if plural else "which is ") + join_and(diets))
        elif f.polarity == AVOID:
            why.append(f"without {f.subject}")
        else:
            why.append(f"without the {f.subject} you don't like")
    return f"For you: {join_and(names)}, {join_and(list(dict.fromkeys(why)))}."


def explain(r: RankedOffer, *, today: date) -> str:
    """Why this offer, in the customer's own terms: at most two reasons, strongest first.

    The likes it answers (quoted, with where and when they were said), then the diet it is made
    for when the customer keeps it, then a similar offer the customer accepted, then the habit
    that makes it timely.
    """
    kinds = r.kinds or (None,) * len(r.because)
    quoted: set[str] = set()
    reasons: list[str] = []
    for f, kind in zip(r.because, kinds, strict=False):
        if f.stated in quoted or len(reasons) == 2:
            continue  # two likes of one message: its words are quoted once
        quoted.add(f.stated)
        told = f"you asked for {f.subject}" if f.polarity == ASKED else _told(f, today)
        reasons.append(told if kind is None else f"it's {kind} too, and {told}")
    if len(reasons) < 2 and r.kept is not None:
        diet, fact = r.kept
        reasons.append(f"it's {diet}, and {_told(fact, today, whose_like=False)}")
    if len(reasons) < 2 and r.liked:
        reasons.append(f'you liked the "{r.liked[0].title}" offer {_ago(r.liked[0].at, today)}')
    if len(reasons) < 2 and r.habit is not None:
        reasons.append(f"it runs this weekend and {_told(r.habit, today)}")
    if not reasons:
        return DISCOVERY_REASON if r.discovery else GENERAL_REASON
    return "because " + " and ".join(reasons)
