"""Who in the household a message speaks of: 'my husband', 'the kids' (words from tastes/lang)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tastes.language import DEFAULT_LANGUAGE, language


@dataclass(frozen=True)
class Mention:
    member: str  # the customer's word, lower case: "husband", "kids"
    start: int
    end: int


@lru_cache(maxsize=8)
def _pattern(code: str) -> re.Pattern[str]:
    words = sorted(language(code).members, key=len, reverse=True)
    alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    return re.compile(r"(?<![\w-])(?P<m>" + alternatives + r")(?:'s|’s|s')?(?![\w-])", re.I)


def member_mentions(text: str, code: str = DEFAULT_LANGUAGE) -> list[Mention]:
    return [
        Mention(" ".join(m.group("m").lower().split()), m.start(), m.end())
        for m in _pattern(code).finditer(text)
    ]


def nearest_member(
    mentions: list[Mention], start: int, end: int, window: tuple[int, int]
) -> str | None:
    """The member named closest before the subject in its window, else closest after it."""
    inside = [m for m in mentions if window[0] <= m.start and m.end <= window[1]]
    before = [m for m in inside if m.end <= start]
    if before:
        return before[-1].member
    after = [m for m in inside if m.start >= end]
    return after[0].member if after else None


def is_plural(member: str, code: str = DEFAULT_LANGUAGE) -> bool:
    """Whether a household word takes a plural verb ("the kids love", "my boss loves")."""
    low = " ".join(member.lower().split())
    if low.endswith("-in-law"):  # "mother-in-law", "sons-in-law": the head word decides
        return is_plural(low.removesuffix("-in-law"), code)
    lang = language(code)
    last = low.split()[-1] if low else low
    if low in lang.plural_members or last in lang.plural_members:
        return True
    if low in lang.singular_members or last in lang.singular_members:
        return False
    return last.endswith("s") and not last.endswith(("ss", "us")) and len(last) > 2
