"""The burst limit and the login throttle, on a clock the test moves by hand."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from channels.limits import (
    BurstLimit,
    LoginThrottle,
    SlidingWindow,
    WindowFactory,
    in_minutes,
    in_seconds,
    local_windows,
    whole_seconds,
)
from channels.shared import RedisWindow
from tests.unit.channels.conftest import redis_or_skip


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


Windows = Callable[[Clock], WindowFactory]


@pytest.fixture(params=["in memory", "in Redis"])
async def windows(request: pytest.FixtureRequest) -> AsyncIterator[Windows]:
    """The same limits counted in this process, and in Redis as gateway replicas share them."""
    if request.param == "in memory":
        yield local_windows
        return
    redis = await redis_or_skip()
    run = uuid.uuid4().hex  # this test's own keys

    def make(clock: Clock) -> WindowFactory:
        return lambda name, limit, window_s: RedisWindow(
            redis, f"{run}:{name}", limit, window_s, clock
        )

    yield make
    async for key in redis.scan_iter(match=f"*{run}*"):
        await redis.delete(key)
    await redis.aclose()


async def test_a_burst_is_cut_at_the_limit_and_the_wait_is_exact(windows: Windows) -> None:
    clock = Clock()
    burst = BurstLimit(3, 10.0, windows=windows(clock))

    assert [await burst.take("rest", "alice") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert await burst.take("rest", "alice") == pytest.approx(10.0)
    clock.advance(4)
    assert await burst.take("rest", "alice") == pytest.approx(6.0)


async def test_the_window_slides_one_message_at_a_time(windows: Windows) -> None:
    clock = Clock()
    burst = BurstLimit(2, 10.0, windows=windows(clock))
    await burst.take("web", "a")
    clock.advance(3)
    await burst.take("web", "a")

    clock.advance(7)  # the first message leaves the window, the second is 7 s old
    assert await burst.take("web", "a") == 0.0
    assert await burst.take("web", "a") == pytest.approx(3.0)
    clock.advance(3)
    assert await burst.take("web", "a") == 0.0


async def test_a_refused_message_is_not_counted(windows: Windows) -> None:
    clock = Clock()
    burst = BurstLimit(1, 10.0, windows=windows(clock))
    await burst.take("rest", "a")
    for _ in range(50):  # a client hammering while refused does not push its wait further
        clock.advance(0.1)
        assert await burst.take("rest", "a") > 0
    clock.advance(5.0)
    assert await burst.take("rest", "a") == 0.0


async def test_senders_and_channels_are_counted_apart(windows: Windows) -> None:
    burst = BurstLimit(1, 10.0, windows=windows(Clock()))

    assert await burst.take("rest", "alice") == 0.0
    assert await burst.take("rest", "bob") == 0.0
    assert await burst.take("web", "alice") == 0.0
    assert await burst.take("rest", "alice") > 0


async def test_zero_means_no_limit(windows: Windows) -> None:
    burst = BurstLimit(0, 10.0, windows=windows(Clock()))

    assert [await burst.take("rest", "a") for _ in range(1000)] == [0.0] * 1000


async def test_quiet_senders_are_forgotten() -> None:
    clock = Clock()
    window = SlidingWindow(5, 10.0, clock)
    for n in range(100):
        window.take(f"sender-{n}")
    clock.advance(11)
    window.take("latest")

    assert len(window) == 1


async def test_five_failures_lock_the_account_for_the_window(windows: Windows) -> None:
    clock = Clock()
    throttle = LoginThrottle(5, 20, 900.0, windows=windows(clock))
    for _ in range(5):
        assert await throttle.attempt("anne", "10.0.0.1") == 0.0  # each one a wrong password
        clock.advance(10)

    assert await throttle.attempt("anne", "10.0.0.1") == pytest.approx(850.0)
    assert await throttle.attempt("Anne", "10.0.0.2") == pytest.approx(850.0), (
        "any address, any case"
    )
    assert await throttle.attempt("bruno", "10.0.0.2") == 0.0, "another account is not locked"
    clock.advance(850)
    assert await throttle.attempt("anne", "10.0.0.1") == 0.0


async def test_an_address_spraying_many_accounts_is_locked(windows: Windows) -> None:
    clock = Clock()
    throttle = LoginThrottle(5, 3, 900.0, windows=windows(clock))
    for name in ("anne", "bruno", "carla"):
        assert await throttle.attempt(name, "10.0.0.9") == 0.0

    assert await throttle.attempt("dora", "10.0.0.9") == pytest.approx(900.0)
    assert await throttle.attempt("dora", "10.0.0.10") == 0.0


async def test_a_right_password_resets_the_account_and_uncounts_the_try(windows: Windows) -> None:
    throttle = LoginThrottle(2, 2, 900.0, windows=windows(Clock()))
    await throttle.attempt("anne", "10.0.0.1")  # wrong

    await throttle.attempt("anne", "10.0.0.1")
    await throttle.succeeded("anne", "10.0.0.1")

    assert (
        await throttle.attempt("anne", "10.0.0.1") == 0.0
    )  # wrong again: the account starts afresh
    assert (
        await throttle.attempt("anne", "10.0.0.1") > 0
    )  # the address: 2 failures, the success none


async def test_concurrent_guesses_count_before_their_passwords_are_checked(
    windows: Windows,
) -> None:
    throttle = LoginThrottle(5, 20, 900.0, windows=windows(Clock()))

    started = [await throttle.attempt("anne", "10.0.0.1") for _ in range(8)]  # none finished yet

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
