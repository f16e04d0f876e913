"""How often a sender may write and a staff login may fail: sliding windows.

A window is kept in this process (SlidingWindow) or, for gateway replicas, in Redis
(channels.shared.RedisWindow): the limits take either (`window=`), and are async for both.
Time comes from an injected clock, so tests move it by hand.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Protocol

Clock = Callable[[], float]


class Window(Protocol):
    """At most `limit` events per key in any `window_s` seconds."""

    limit: int
    window_s: float

    async def wait(self, key: str) -> float: ...

    async def record(self, key: str) -> None: ...

    async def take(self, key: str) -> float: ...

    async def cancel(self, key: str) -> None: ...

    async def forget(self, key: str) -> None: ...


WindowFactory = Callable[[str, int, float], Window]  # (name, limit, window_s) -> a window


class SlidingWindow:
    """At most `limit` events per key in any `window_s` seconds (a `limit` of 0: no limit)."""

    def __init__(self, limit: int, window_s: float, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._events: dict[Hashable, deque[float]] = {}
        self._swept_at = clock()

    def _recent(self, key: Hashable, now: float) -> deque[float] | None:
        events = self._events.get(key)
        while events and now - events[0] >= self.window_s:
            events.popleft()
        return events

    def _sweep(self, now: float) -> None:
        # Once a window, forget the keys that fell quiet, so the table does not grow with every
        # sender ever seen.
        if now - self._swept_at < self.window_s:
            return
        self._swept_at = now
        for key in [k for k, v in self._events.items() if not v or now - v[-1] >= self.window_s]:
            del self._events[key]

    def __len__(self) -> int:
        """How many keys are remembered."""
        return len(self._events)

    def wait(self, key: Hashable) -> float:
        """Seconds until one more event for `key` fits in the window; 0.0 when it fits now."""
        if self.limit <= 0:
            return 0.0
        now = self._clock()
        events = self._recent(key, now)
        if events is None or len(events) < self.limit:
            return 0.0
        return events[-self.limit] + self.window_s - now

    def record(self, key: Hashable) -> None:
        """Count one event for `key` now."""
        if self.limit <= 0:
            return
        now = self._clock()
        self._sweep(now)
        self._events.setdefault(key, deque()).append(now)

    def take(self, key: Hashable) -> float:
        """Count one event for `key` and return 0.0 if it fits; else (nothing counted) the
        seconds to wait."""
        wait = self.wait(key)
        if not wait:
            self.record(key)
        return wait

    def cancel(self, key: Hashable) -> None:
        """Uncount the latest event for `key` (it turned out not to be one)."""
        events = self._events.get(key)
        if events:
            events.pop()

    def forget(self, key: Hashable) -> None:
        self._events.pop(key, None)


class LocalWindow:
    """A SlidingWindow behind the async Window interface (one gateway on its own)."""

    def __init__(self, limit: int, window_s: float, clock: Clock = time.monotonic) -> None:
        self._window = SlidingWindow(limit, window_s, clock)
        self.limit, self.window_s = limit, window_s

    def __len__(self) -> int:
        return len(self._window)

    async def wait(self, key: str) -> float:
        return self._window.wait(key)

    async def record(self, key: str) -> None:
        self._window.record(key)

    async def take(self, key: str) -> float:
        return self._window.take(key)

    async def cancel(self, key: str) -> None:
        self._window.cancel(key)

    async def forget(self, key: str) -> None:
        self._window.forget(key)


def local_windows(clock: Clock = time.monotonic) -> WindowFactory:
    return lambda _name, limit, window_s: LocalWindow(limit, window_s, clock)


class BurstLimit:
    """Messages per sender, `(channel, address)`: at most `max_messages` in `window_s` seconds.

    Checked before a message is written or sent anywhere; a refused message is not counted, so
    the wait returned is the true time until the next one is accepted.
    """

    def __init__(
        self,
        max_messages: int,
        window_s: float,
        clock: Clock = time.monotonic,
        *,
        windows: WindowFactory | None = None,
    ) -> None:
        self._window = (windows or local_windows(clock))("burst", max_messages, window_s)

    @property
    def max_messages(self) -> int:
        return self._window.limit

    @property
    def window_s(self) -> float:
        return self._window.window_s

    async def take(self, channel: str, address: str) -> float:
        """0.0 when this message may go on (it is counted); else the seconds to wait."""
        return await self._window.take(f"{channel}:{address}")


class LoginThrottle:
    """Failed staff logins, counted per account and per client address.

    An attempt is counted as a failure when it starts (`attempt`) and uncounted when the password
    was right (`succeeded`), so that concurrent guesses cannot slip past the limit while their
    passwords are being hashed. A throttled attempt is refused before its password is checked.
    """

    def __init__(
        self,
        max_failures: int,
        max_failures_per_address: int,
        window_s: float,
        clock: Clock = time.monotonic,
        *,
        windows: WindowFactory | None = None,
    ) -> None:
        make = windows or local_windows(clock)
        self._accounts = make("login-account", max_failures, window_s)
        self._addresses = make("login-address", max_failures_per_address, window_s)

    @staticmethod
    def _account(username: str) -> str:
        return username.casefold()

    async def attempt(self, username: str, address: str) -> float:
        """0.0 when this attempt may check its password (counted as a failure until
        `succeeded`); else the seconds until the account and the address may try again."""
        account = self._account(username)
        wait = max(await self._accounts.wait(account), await self._addresses.wait(address))
        if wait:
            return wait
        await self._accounts.record(account)
        await self._addresses.record(address)
        return 0.0

    async def succeeded(self, username: str, address: str) -> None:
        """The password was right: the account starts afresh, the address's try is uncounted."""
        await self._accounts.forget(self._account(username))
        await self._addresses.cancel(address)


def whole_seconds(wait_s: float) -> int:
    """A wait as the whole seconds of a Retry-After header (never 0 for a real wait)."""
    return max(1, math.ceil(wait_s))


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def in_seconds(wait_s: float) -> str:
    """A wait in words: "1 second", "7 seconds"."""
    return _count(whole_seconds(wait_s), "second")


def in_minutes(wait_s: float) -> str:
    """A wait in words: "1 minute", "12 minutes"."""
    return _count(max(1, math.ceil(wait_s / 60)), "minute")
