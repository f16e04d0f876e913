"""What a customer states about themselves, as structured facts."""

from __future__ import annotations

from dataclasses import dataclass

POLARITIES: tuple[str, ...] = ("like", "dislike", "avoid")
REASONS: tuple[str, ...] = ("allergy", "intolerance", "diet", "religion", "health")
FREQUENCIES: tuple[str, ...] = ("daily", "weekly", "fortnightly", "monthly")


@dataclass(frozen=True)
class StatedFact:
    """One taste or constraint, in the shop's vocabulary, with the customer's own words.

    strength: like 2 = adore/love, 1 = like; dislike/avoid -1 = not keen, -2 = hate/avoid.
    reason: only for avoid (allergy, intolerance, diet, religion, health), None if unsaid.
    """

    subject: str
    polarity: str
    reason: str | None
    strength: int
    stated: str
    category: str | None
    confident: bool


@dataclass(frozen=True)
class StatedHabit:
    """A shopping habit: what the customer does, when and how often."""

    what: str
    when: str | None
    frequency: str | None
    stated: str
