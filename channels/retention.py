"""The gateway prunes transcripts past their retention period: once shortly after start, then
once a day (profile_store.retention says what a transcript is; facts are never pruned)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime

from aiohttp import web
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from channels.keys import sessionmaker_key, settings_key
from profile_store.models import utcnow
from profile_store.privacy import make_tracker_engine
from profile_store.retention import forget_expired_health_facts, prune_transcripts

log = logging.getLogger(__name__)

# Not at once: start-up (Rasa loading its model) is busy enough.
FIRST_RUN_AFTER_S = 60.0
EVERY_S = 24 * 3600.0


def prune_once(
    sessions: sessionmaker[Session],
    tracker: Engine,
    days: int,
    now: datetime | None = None,
) -> dict[str, int]:
    now = now or utcnow()
    with sessions.begin() as session:
        counts = prune_transcripts(session, tracker, now=now, days=days)
        # Health facts kept for one conversation only (no consent to keep them) go too.
        counts["health_facts_forgotten"] = forget_expired_health_facts(session, now=now)
        return counts


async def _prune_daily(sessions: sessionmaker[Session], tracker: Engine, days: int) -> None:
    await asyncio.sleep(FIRST_RUN_AFTER_S)
    while True:
        try:
            counts = await asyncio.to_thread(prune_once, sessions, tracker, days)
            log.info("pruned transcripts older than %d days: %s", days, counts)
        except Exception:
            # A locked or unreachable database today is retried tomorrow; the gateway goes on.
            log.exception("pruning transcripts failed")
        await asyncio.sleep(EVERY_S)


async def scheduled_prune(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: prune daily while the gateway runs (RAPPORT_TRANSCRIPT_RETENTION_DAYS=0
    turns it off)."""
    days = app[settings_key].transcript_retention_days
    if days < 1:
        log.info("transcript retention is off: transcripts are kept until erased")
        yield
        return
    tracker = make_tracker_engine(app[settings_key].tracker_db_url)
    task = asyncio.create_task(_prune_daily(app[sessionmaker_key], tracker, days))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    tracker.dispose()
