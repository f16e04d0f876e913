"""The bot's own words for a fact, to confirm it back: 'you love veal paupiettes'."""

from __future__ import annotations

from typing import Any

from tastes.vocabulary import DIETS, RELIGIOUS_DIETS


def describe(fact: Any) -> str:
    """Second-person words for any object with .subject, .polarity, .reason (and .strength)."""
    subject = " ".join(str(getattr(fact, "subject", "") or "").split()) or "that"
    polarity = getattr(fact, "polarity", None)
    reason = getattr(fact, "reason", None)
    strength = getattr(fact, "strength", None)
    if not isinstance(strength, int):
        strength = None
    if polarity == "like":
        return (
            f"you love {subject}"
            if strength is not None and strength >= 2
            else (f"you like {subject}")
        )
    if polarity == "dislike":
        if strength is not None and strength <= -2:
            return f"you can't stand {subject}"
        return f"you're not keen on {subject}"
    if polarity == "avoid":
        return _constraint(subject, reason)
    return f"you mentioned {subject}"


def _constraint(subject: str, reason: object) -> str:
    lowered = subject.lower()
    if lowered in RELIGIOUS_DIETS:
        food = "halal" if lowered == "halal" else "kosher"
        return f"you only eat {food}"
    if lowered in DIETS:
        article = "an" if lowered[0] in "aeiou" else "a"
        return f"you follow {article} {lowered} diet"
    if reason == "allergy":
        return f"you are allergic to {subject}"
    if reason == "intolerance":
        if lowered == "milk":
            return "you are lactose intolerant"
        return f"you can't tolerate {subject}"
    if reason == "religion":
        return f"you don't eat {subject} for religious reasons"
    if reason == "health":
        return f"you avoid {subject} for health reasons"
    if reason == "diet":
        return f"you don't eat {subject}"
    return f"you avoid {subject}"
