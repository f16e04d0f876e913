"""When a time-bounded fact ends: 'this week I'm off red meat' holds until Sunday night."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta

from tastes.language import DEFAULT_LANGUAGE, TimeRule, language


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def easter(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    day = (h + l - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _ends(rule: TimeRule, groups: dict[str, str | None], today: date, code: str) -> date | None:
    lang = language(code)
    if rule.ends == "end_of_day":
        return today
    if rule.ends == "end_of_week":
        return today + timedelta(days=6 - today.weekday())
    if rule.ends == "end_of_weekend":
        return today + timedelta(days=(6 - today.weekday()) % 7)
    if rule.ends == "end_of_month":
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    if rule.ends == "named_month":
        named = next((g for k, g in groups.items() if k.startswith("month") and g), None)
        if named is None:
            return None
        month = next(i for i, m in enumerate(lang.months, 1) if m.startswith(named.lower()[:3]))
        year = today.year + (1 if month < today.month else 0)
        return date(year, month, calendar.monthrange(year, month)[1])
    if rule.ends == "easter":
        sunday = easter(today.year)
        return sunday if sunday >= today else easter(today.year + 1)
    if rule.ends == "weekday" and groups.get("weekday"):
        wanted = lang.weekdays.index(str(groups["weekday"]).lower())
        return today + timedelta(days=(wanted - today.weekday()) % 7 or 7)
    if rule.ends == "duration":
        amount_word = " ".join(str(groups.get("amount") or "1").lower().split())
        amount = int(amount_word) if amount_word.isdigit() else lang.numbers.get(amount_word, 1)
        unit = str(groups.get("unit") or "day").lower().rstrip("s")
        days = {"day": 1, "week": 7, "month": 30}.get(unit, 1)
        return today + timedelta(days=amount * days)
    return None


def until(text: str, today: date, code: str = DEFAULT_LANGUAGE) -> datetime | None:
    """The end of the first time bound the text states, if any (the end of that day, UTC)."""
    for rule in language(code).until:
        match = rule.pattern.search(text)
        if match:
            ends = _ends(rule, match.groupdict(), today, code)
            if ends is not None:
                return _end_of(ends)
    return None
