"""Rasa's SQL tracker store, without re-reading the whole session from the database each turn.

Rasa 3.6's SQLTrackerStore rebuilds the tracker of the latest session from every one of its
events on each message (a query, a JSON parse and a replay per event), so a turn costs more the
longer the session. This store keeps the tracker it last saved for each conversation in memory
and hands it back as long as the database still holds exactly what it saved: one cheap query
(the count and the highest id of the conversation's events, on the sender_id index) stands in
for the reload. Anything else reloads from the database as Rasa does:

- another process wrote or deleted events for that conversation (a second Rasa replica, the
  gateway's erasure or retention): the count or the highest id differ;
- the tracker was changed and not saved (a turn that failed half-way): its length differs;
- the conversation was idle for `cache_idle_s` or pushed out by `cache_size` newer ones;
- a new session started during the turn (Rasa reads back only the latest session).

Rasa's lock store keeps one turn per conversation at a time, which is what makes handing back
the same object safe. Configured in endpoints.yml as
`type: rasa_runtime.tracker_store.CachingSQLTrackerStore` with the usual SQL settings, plus
optional `cache_size` (1000 conversations) and `cache_idle_s` (900 s). An erased customer's
tracker can stay in this memory until then, never readable: the next read finds the rows gone.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_runtime.speedups import TRACKER_CACHE, chosen

Stamp = tuple[int, int | None]  # (number of events, highest event id) of one conversation


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    stamp: Stamp
    length: int
    used_at: float


class CachingSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self, *args: Any, cache_size: int = 1000, cache_idle_s: float = 900.0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Without `tracker_cache` in RAPPORT_RASA_SPEEDUPS: Rasa's own behaviour, a reload
        # every turn (to compare).
        self.enabled = TRACKER_CACHE in chosen(os.environ.get("RAPPORT_RASA_SPEEDUPS"))
        self.cache_size = int(cache_size)
        self.cache_idle_s = float(cache_idle_s)
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self.hits = self.misses = 0

    def _stamp(self, session: Any, sender_id: str) -> Stamp:
        count, highest = session.execute(
            sa.select(sa.func.count(self.SQLEvent.id), sa.func.max(self.SQLEvent.id)).where(
                self.SQLEvent.sender_id == sender_id
            )
        ).one()
        return int(count), highest

    def _forget_idle(self, now: float) -> None:
        while self._kept:
            oldest_id, oldest = next(iter(self._kept.items()))
            if now - oldest.used_at < self.cache_idle_s and len(self._kept) <= self.cache_size:
                return
            del self._kept[oldest_id]

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        if not self.enabled:
            return await super().retrieve(sender_id)
        now = time.monotonic()
        self._forget_idle(now)
        kept = self._kept.get(sender_id)
        if kept is not None:
            with self.session_scope() as session:
                stamp = self._stamp(session, sender_id)
            if stamp == kept.stamp and len(kept.tracker.events) == kept.length:
                kept.used_at = now
                self._kept.move_to_end(sender_id)
                self.hits += 1
                return kept.tracker
            del self._kept[sender_id]
        self.misses += 1
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            with self.session_scope() as session:
                self._keep(tracker, self._stamp(session, sender_id), now)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        if not self.enabled:
            return await super().save(tracker)
        self._kept.pop(tracker.sender_id, None)  # until this save is known to have landed
        await super().save(tracker)
        with self.session_scope() as session:
            self._keep(tracker, self._stamp(session, tracker.sender_id), time.monotonic())

    def _keep(self, tracker: DialogueStateTracker, stamp: Stamp, now: float) -> None:
        starts = sum(1 for e in tracker.events if isinstance(e, SessionStarted))
        if starts > 1:
            # A new session began this turn: Rasa would read back only that session, so the
            # next turn reloads rather than carry the old one along.
            return
        self._kept[tracker.sender_id] = _Kept(tracker, stamp, len(tracker.events), now)
        self._kept.move_to_end(tracker.sender_id)
        self._forget_idle(now)
