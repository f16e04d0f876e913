"""The right to erasure by asking: the gateway erases the customer once their turn is over.

"Forget everything about me", then "yes": the action answers with a `rapport_erase` message
(bot/actions/review.py). The erasure cannot run inside the action: Rasa saves the tracker after
each action, and would write back the very conversation being erased. So the gateway, holding
the customer's lock once Rasa has answered and the turn is recorded, erases everything
(profile_store.erasure: the profile rows, the tracker events of every sender id the customer
had; an opted-out address kept only as a keyed hash) and sends the confirmation last.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channels.rasa_client import custom_payload
from profile_store.erasure import ErasureReport, erase_everything
from profile_store.privacy import compact_sqlite

log = logging.getLogger(__name__)

ERASE_KEY = "rapport_erase"  # bot/actions/review.py writes it


def erasure_asked(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """The turn's messages with the erasure request made readable, and whether it was asked."""
    out, asked = [], False
    for message in messages:
        payload = custom_payload(message, ERASE_KEY)
        if not isinstance(payload, dict):
            out.append(message)
            continue
        asked = True
        rest = {k: v for k, v in message.items() if k != "custom"}
        out.append({**rest, "text": str(payload.get("done") or "Done.")})
    return out, asked


@dataclass(frozen=True)
class Erasures:
    sessionmaker: sessionmaker[Session]
    tracker_url: str | None

    async def erase(self, customer_id: str) -> None:
        report = await asyncio.to_thread(self._erase, customer_id)
        # Not the id: the log outlives the customer. The audit line keeps a keyed hash.
        log.info(
            "a customer was erased at their request (%d profile rows, %d tracker events)",
            report.total_profile_rows,
            report.tracker_events,
        )

    def _erase(self, customer_id: str) -> ErasureReport:
        with self.sessionmaker.begin() as session:
            report = erase_everything(
                session, customer_id, tracker_url=self.tracker_url, by="customer"
            )
            engine = session.get_bind()
        compact_sqlite(engine)  # type: ignore[arg-type]
        return report
