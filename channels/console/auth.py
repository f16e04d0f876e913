"""Staff login sessions and CSRF tokens (passwords: profile_store.handoff, argon2)."""

from __future__ import annotations

import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Protocol

from redis.asyncio import Redis

COOKIE = "rapport_staff"
CSRF_HEADER = "X-CSRF-Token"
SESSION_TTL_S = 12 * 3600  # one working day


@dataclass(frozen=True)
class StaffSession:
    staff_id: int
    username: str
    first_name: str
    csrf: str
    expires: float


class StaffSessions(Protocol):
    """Where logged-in staff are kept: this process (Sessions) or Redis (channels.shared)."""

    ttl_s: float

    async def open(
        self, staff_id: int, username: str, first_name: str
    ) -> tuple[str, StaffSession]: ...

    async def get(self, token: str | None) -> StaffSession | None: ...

    async def close(self, token: str | None) -> None: ...


@dataclass
class Sessions:
    """Logged-in staff by opaque cookie token, in memory (a restart logs everybody out; gateway
    replicas share channels.shared.RedisSessions instead). Async like the Redis version."""

    ttl_s: float = SESSION_TTL_S
    _by_token: dict[str, StaffSession] = field(default_factory=dict)

    async def open(self, staff_id: int, username: str, first_name: str) -> tuple[str, StaffSession]:
        self._sweep()
        token = secrets.token_urlsafe(32)
        session = StaffSession(
            staff_id, username, first_name, secrets.token_urlsafe(32), time.time() + self.ttl_s
        )
        self._by_token[token] = session
        return token, session

    async def get(self, token: str | None) -> StaffSession | None:
        if not token:
            return None
        session = self._by_token.get(token)
        if session is None or session.expires < time.time():
            self._by_token.pop(token, None)
            return None
        return session

    async def close(self, token: str | None) -> None:
        if token:
            self._by_token.pop(token, None)

    def _sweep(self) -> None:
        now = time.time()
        for token in [t for t, s in self._by_token.items() if s.expires < now]:
            del self._by_token[token]


class RedisSessions:
    """Logged-in staff by cookie token, in Redis with their expiry: a login on one replica is
    good on every other, a logout everywhere."""

    def __init__(self, redis: Redis, ttl_s: float = SESSION_TTL_S) -> None:
        self._redis = redis
        self.ttl_s = ttl_s

    @staticmethod
    def _key(token: str) -> str:
        return f"rapport:gateway:staff-session:{token}"

    async def open(self, staff_id: int, username: str, first_name: str) -> tuple[str, StaffSession]:
        token = secrets.token_urlsafe(32)
        session = StaffSession(
            staff_id, username, first_name, secrets.token_urlsafe(32), time.time() + self.ttl_s
        )
        await self._redis.set(self._key(token), json.dumps(asdict(session)), ex=int(self.ttl_s))
        return token, session

    async def get(self, token: str | None) -> StaffSession | None:
        if not token:
            return None
        raw = await self._redis.get(self._key(token))
        if raw is None:
            return None
        try:
            session = StaffSession(**json.loads(raw))
        except (TypeError, ValueError):
            return None
        return session if session.expires >= time.time() else None

    async def close(self, token: str | None) -> None:
        if token:
            await self._redis.delete(self._key(token))


def csrf_ok(session: StaffSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), (sent or "").encode())


def same_origin(origin: str | None, host: str | None, scheme: str) -> bool:
    """A missing Origin is allowed (non-browser clients); a present one must be ours."""
    if origin is None:
        return True
    return bool(host) and origin in (f"{scheme}://{host}", f"http://{host}", f"https://{host}")
