"""Gateway state that replicas share through Redis (RAPPORT_REDIS_URL), each beside the
in-process version one gateway uses: ordering locks, the windows of the burst and login limits.

(Beside theirs too: staff sessions, channels.console.auth.RedisSessions; the console's live
events, channels.handoff.hub.RedisHub; socket.io rooms, python-socketio's Redis manager.)
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from typing import Any

from redis.asyncio import Redis

from channels.limits import Clock, Window, WindowFactory

log = logging.getLogger(__name__)

PREFIX = "rapport:gateway"
LOCK_TIMEOUT_S = 120.0  # a lock whose holder died is free again after this


class RedisLocks:
    """One Redis lock per key: a customer's messages and handoff changes, in order, whichever
    replica takes them. Used like the in-process locks: `async with locks(customer_id): ...`."""

    def __init__(self, redis: Redis, name: str) -> None:
        self._redis = redis
        self._name = name

    def __call__(self, key: object) -> Any:
        return self._redis.lock(
            f"{PREFIX}:lock:{self._name}:{key}", timeout=LOCK_TIMEOUT_S, sleep=0.02
        )


# Drop what left the window, then count one more if it fits; else the wait until it would.
_TAKE = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local n = redis.call('ZCARD', key)
if n < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('EXPIRE', key, math.ceil(window) + 1)
  return '0'
end
local oldest = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""


class RedisWindow:
    """A sliding window in a Redis sorted set per key (event times as scores), checked and
    counted in one step (a Lua script), so replicas counting at once never pass the limit."""

    def __init__(
        self, redis: Redis, name: str, limit: int, window_s: float, clock: Clock = time.time
    ) -> None:
        self._redis = redis
        self._name = name
        self._clock = clock
        self.limit, self.window_s = limit, window_s

    def _key(self, key: str) -> str:
        return f"{PREFIX}:window:{self._name}:{key}"

    async def wait(self, key: str) -> float:
        if self.limit <= 0:
            return 0.0
        now, k = self._clock(), self._key(key)
        await self._redis.zremrangebyscore(k, "-inf", now - self.window_s)
        n = await self._redis.zcard(k)
        if n < self.limit:
            return 0.0
        rows: Any = await self._redis.zrange(k, n - self.limit, n - self.limit, withscores=True)
        return float(rows[0][1]) + self.window_s - now

    async def record(self, key: str) -> None:
        if self.limit <= 0:
            return
        now, k = self._clock(), self._key(key)
        await self._redis.zadd(k, {f"{now}:{uuid.uuid4().hex}": now})
        await self._redis.expire(k, math.ceil(self.window_s) + 1)

    async def take(self, key: str) -> float:
        if self.limit <= 0:
            return 0.0
        now = self._clock()
        wait = await self._redis.eval(  # type: ignore[misc,unused-ignore]
            _TAKE, 1, self._key(key), now, self.window_s, self.limit, f"{now}:{uuid.uuid4().hex}"
        )
        return float(wait)

    async def cancel(self, key: str) -> None:
        await self._redis.zpopmax(self._key(key))

    async def forget(self, key: str) -> None:
        await self._redis.delete(self._key(key))


def redis_windows(redis: Redis, clock: Clock = time.time) -> WindowFactory:
    def make(name: str, limit: int, window_s: float) -> Window:
        return RedisWindow(redis, name, limit, window_s, clock)

    return make


async def check(redis: Redis, url: str) -> None:
    """Redis answers, or the gateway stops at start-up saying where it looked."""
    try:
        await redis.ping()
    except Exception as exc:
        await redis.aclose()
        raise RuntimeError(f"RAPPORT_REDIS_URL: Redis not reachable at {url}: {exc}") from exc
