"""The burst limit and the login throttle, on a clock the test moves by hand."""

from __future__ import annotations

import pytest

from channels.limits import (
    BurstLimit,
    LoginThrottle,
    SlidingWindow,
    in_minutes,
    in_seconds,
    whole_seconds,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_a_burst_is_cut_at_the_limit_and_the_wait_is_exact() -> None:
    clock = Clock()
    burst = BurstLimit(3, 10.0, clock)

    assert [burst.take("rest", "alice") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert burst.take("rest", "alice") == pytest.approx(10.0)
    clock.advance(4)
    assert burst.take("rest", "alice") == pytest.approx(6.0)


def test_the_window_slides_one_message_at_a_time() -> None:
    clock = Clock()
    burst = BurstLimit(2, 10.0, clock)
    burst.take("web", "a")
    clock.advance(3)
    burst.take("web", "a")

    clock.advance(7)  # the first message leaves the window, the second is 7 s old
    assert burst.take("web", "a") == 0.0
    assert burst.take("web", "a") == pytest.approx(3.0)
    clock.advance(3)
    assert burst.take("web", "a") == 0.0


def test_a_refused_message_is_not_counted() -> None:
    clock = Clock()
    burst = BurstLimit(1, 10.0, clock)
    burst.take("rest", "a")
    for _ in range(50):  # a client hammering while refused does not push its wait further
        clock.advance(0.1)
        assert burst.take("rest", "a") > 0
    clock.advance(5.0)
    assert burst.take("rest", "a") == 0.0


def test_senders_and_channels_are_counted_apart() -> None:
    burst = BurstLimit(1, 10.0, Clock())

    assert burst.take("rest", "alice") == 0.0
    assert burst.take("rest", "bob") == 0.0
    assert burst.take("web", "alice") == 0.0
    assert burst.take("rest", "alice") > 0


def test_zero_means_no_limit() -> None:
    burst = BurstLimit(0, 10.0, Clock())

    assert all(burst.take("rest", "a") == 0.0 for _ in range(1000))


def test_quiet_senders_are_forgotten() -> None:
    clock = Clock()
    window = SlidingWindow(5, 10.0, clock)
    for n in range(100):
        window.take(f"sender-{n}")
    clock.advance(11)
    window.take("latest")

    assert len(window) == 1


def test_five_failures_lock_the_account_for_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(5, 20, 900.0, clock)
    for _ in range(5):
        assert throttle.attempt("anne", "10.0.0.1") == 0.0  # each one a wrong password
        clock.advance(10)

    assert throttle.attempt("anne", "10.0.0.1") == pytest.approx(850.0)
    assert throttle.attempt("Anne", "10.0.0.2") == pytest.approx(850.0), "any address, any case"
    assert throttle.attempt("bruno", "10.0.0.2") == 0.0, "another account is not locked"
    clock.advance(850)
    assert throttle.attempt("anne", "10.0.0.1") == 0.0


def test_an_address_spraying_many_accounts_is_locked() -> None:
    clock = Clock()
    throttle = LoginThrottle(5, 3, 900.0, clock)
    for name in ("anne", "bruno", "carla"):
        assert throttle.attempt(name, "10.0.0.9") == 0.0

    assert throttle.attempt("dora", "10.0.0.9") == pytest.approx(900.0)
    assert throttle.attempt("dora", "10.0.0.10") == 0.0


def test_a_right_password_resets_the_account_and_uncounts_the_try() -> None:
    throttle = LoginThrottle(2, 2, 900.0, Clock())
    throttle.attempt("anne", "10.0.0.1")  # wrong

    throttle.attempt("anne", "10.0.0.1")
    throttle.succeeded("anne", "10.0.0.1")

    assert throttle.attempt("anne", "10.0.0.1") == 0.0  # wrong again: the account starts afresh
    assert throttle.attempt("anne", "10.0.0.1") > 0  # the address: 2 failures, the success none


def test_concurrent_guesses_count_before_their_passwords_are_checked() -> None:
    throttle = LoginThrottle(5, 20, 900.0, Clock())

    started = [throttle.attempt("anne", "10.0.0.1") for _ in range(8)]  # none finished yet

    assert started.count(0.0) == 5


@pytest.mark.parametrize(
    ("wait", "seconds", "minutes"),
    [
        (0.2, "1 second", "1 minute"),
        (7.5, "8 seconds", "1 minute"),
        (850, "850 seconds", "15 minutes"),
    ],
)
def test_waits_in_words(wait: float, seconds: str, minutes: str) -> None:
    assert in_seconds(wait) == seconds
    assert in_minutes(wait) == minutes
    assert whole_seconds(wait) >= 1
