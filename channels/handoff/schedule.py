"""The shop's opening schedule: is staff in now, and when are they next in (pure logic)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_PART = re.compile(r"^\s*([A-Za-z]{3})(?:\s*-\s*([A-Za-z]{3}))?\s+(.+?)\s*$")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class OpeningSchedule:
    """Opening spans per weekday (0 = Monday) in the shop's time zone; empty = always open."""

    spans: dict[int, tuple[tuple[time, time], ...]]
    tz: ZoneInfo

    @property
    def always_open(self) -> bool:
        return not self.spans

    def is_open(self, now: datetime) -> bool:
        if self.always_open:
            return True
        local = now.astimezone(self.tz)
        return any(
            start <= local.time() < end for start, end in self.spans.get(local.weekday(), ())
        )

    def next_opening(self, now: datetime) -> datetime | None:
        """The next time staff are in after `now` (None when always open)."""
        if self.always_open:
            return None
        local = now.astimezone(self.tz)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            for start, _end in self.spans.get(day.weekday(), ()):
                candidate = datetime.combine(day, start, tzinfo=self.tz)
                if candidate > local:
                    return candidate
        return None


def _day(word: str) -> int:
    try:
        return DAYS.index(word.lower())
    except ValueError:
        raise ScheduleError(f"unknown day {word!r} (use Mon, Tue, ... Sun)") from None


def parse_schedule(text: str, timezone: str) -> OpeningSchedule:
    """Parse e.g. "Mon-Fri 09:00-12:30,14:00-18:00; Sat 09:00-13:00" in `timezone`."""
    try:
        tz = ZoneInfo(timezone)
    except Exception as exc:
        raise ScheduleError(f"unknown time zone {timezone!r}") from exc
    spans: dict[int, list[tuple[time, time]]] = {}
    for part in filter(str.strip, text.split(";")):
        match = _PART.match(part)
        if not match:
            raise ScheduleError(f"cannot read {part.strip()!r} (e.g. 'Mon-Fri 09:00-18:00')")
        first = _day(match.group(1))
        last = _day(match.group(2)) if match.group(2) else first
        days = [d % 7 for d in range(first, first + ((last - first) % 7) + 1)]
        for span in match.group(3).split(","):
            hours = _SPAN.match(span)
            if not hours:
                raise ScheduleError(f"cannot read the hours {span.strip()!r} (e.g. 09:00-18:00)")
            h1, m1, h2, m2 = (int(g) for g in hours.groups())
            if not (0 <= h1 < 24 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60):
                raise ScheduleError(f"impossible hours {span.strip()!r}")
            start = time(h1, m1)
            end = time.max if (h2, m2) == (24, 0) else time(h2, m2)
            if end <= start:
                raise ScheduleError(f"{span.strip()!r} ends before it starts")
            for d in days:
                spans.setdefault(d, []).append((start, end))
    return OpeningSchedule({d: tuple(sorted(s)) for d, s in spans.items()}, tz)


def describe_when(at: datetime, now: datetime) -> str:
    """Words a customer reads: "today at 14:00", "tomorrow at 09:00", "on Monday at 09:00"."""
    local_now = now.astimezone(at.tzinfo)
    days = (at.date() - local_now.date()).days
    clock = at.strftime("%H:%M")
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    return f"on {DAY_NAMES[at.weekday()]} at {clock}"
