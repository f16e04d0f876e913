"""The opening schedule: open or not, when staff are next in, in the customer's words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.handoff.schedule import ScheduleError, describe_when, parse_schedule

SHOP = parse_schedule("Mon-Fri 09:00-12:30,14:00-18:00; Sat 09:00-13:00", "Europe/Paris")


def paris(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHOP.tz)


def test_open_and_closed_hours() -> None:
    assert SHOP.is_open(paris(2026, 11, 23, 10))  # a Monday morning
    assert not SHOP.is_open(paris(2026, 11, 23, 13))  # lunch
    assert not SHOP.is_open(paris(2026, 11, 28, 14))  # Saturday afternoon
    assert not SHOP.is_open(paris(2026, 11, 29, 10))  # Sunday


def test_next_opening_and_its_words() -> None:
    lunch = paris(2026, 11, 23, 13)
    assert SHOP.next_opening(lunch) == paris(2026, 11, 23, 14)
    assert describe_when(paris(2026, 11, 23, 14), lunch) == "today at 14:00"
    evening = paris(2026, 11, 23, 19)
    assert describe_when(SHOP.next_opening(evening) or evening, evening) == "tomorrow at 09:00"
    saturday = paris(2026, 11, 28, 15)
    assert describe_when(SHOP.next_opening(saturday) or saturday, saturday) == "on Monday at 09:00"


def test_a_utc_instant_is_read_in_the_shops_time_zone() -> None:
    # 08:30 UTC is 09:30 in Paris in November.
    assert SHOP.is_open(datetime(2026, 11, 23, 8, 30, tzinfo=UTC))


def test_an_empty_schedule_is_always_open() -> None:
    always = parse_schedule("", "UTC")
    assert always.is_open(datetime(2026, 11, 29, 3, tzinfo=UTC))
    assert always.next_opening(datetime(2026, 11, 29, 3, tzinfo=UTC)) is None


def test_wrapping_day_ranges() -> None:
    weekend = parse_schedule("Sat-Sun 10:00-11:00", "UTC")
    assert weekend.is_open(datetime(2026, 11, 29, 10, 30, tzinfo=UTC))  # Sunday
    assert not weekend.is_open(datetime(2026, 11, 30, 10, 30, tzinfo=UTC))  # Monday


@pytest.mark.parametrize(
    ("text", "tz"),
    [
        ("Mon 9-18", "UTC"),
        ("Funday 09:00-10:00", "UTC"),
        ("Mon 18:00-09:00", "UTC"),
        ("Mon 09:00-18:00", "Mars/Olympus"),
    ],
)
def test_a_bad_schedule_says_what_is_wrong(text: str, tz: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(text, tz)
