"""What a customer states about themselves, as structured facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

POLARITIES: tuple[str, ...] = ("like", "dislike", "avoid")
REASONS: tuple[str, ...] = ("allergy", "intolerance", "diet", "religion", "health")
FREQUENCIES: tuple[str, ...] = ("daily", "weekly", "fortnightly", "monthly")


@dataclass(frozen=True)
class StatedFact:
    """One taste or constraint, in the shop's vocabulary, with the customer's own words.

    strength: like 2 = adore/love, 1 = like; dislike/avoid -1 = not keen, -2 = hate/avoid.
    reason: only for avoid (allergy, intolerance, diet, religion, health), None if unsaid.
    confident: stored at once when True; confirmed with the customer first when False.
    member: who in the household it is about, in the customer's word ("husband", "kids");
        None for the customer themselves.
    until: when a time-bounded fact ("this week I'm off red meat") stops holding (UTC).
    confidence: the reader's probability for this reading (1.0 for a confirmed fact).
    """

    subject: str
    polarity: str
    reason: str | None
    strength: int
    stated: str
    category: str | None
    confident: bool
    member: str | None = None
    until: datetime | None = None
    confidence: float = 1.0


@dataclass(frozen=True)
class StatedHabit:
    """A shopping habit: what the customer does, when and how often."""

    what: str
    when: str | None
    frequency: str | None
    stated: str
