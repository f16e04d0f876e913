"""Rasa's events kept for the shop's figures: once each, without the customer's words, erased
with the customer."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from profile_store.analytics import AnalyticsEvent, Recorded, record_rasa_event
from profile_store.erasure import erase_profile_rows
from profile_store.repository import resolve_customer
from rapport.processes import broker_endpoint


def published(sender: str, **event: object) -> bytes:
    """An event as Rasa's Pika broker publishes it."""
    return json.dumps({"sender_id": sender, "timestamp": 1764583200.5, **event}).encode()


USER = {
    "event": "user",
    "text": "I love Comté",
    "parse_data": {"intent": {"name": "share_taste", "confidence": 0.93}, "text": "I love Comté"},
    "metadata": {"channel": "web"},
}


@pytest.fixture
def customer(sessions: sessionmaker[Session]) -> str:
    with sessions.begin() as s:
        return resolve_customer(s, "web", "abc").id


def test_an_event_is_kept_once_with_no_words_of_the_customer(
    sessions: sessionmaker[Session], customer: str
) -> None:
    body = published(customer, **USER)
    with sessions.begin() as s:
        assert record_rasa_event(s, body) is Recorded.STORED
        assert record_rasa_event(s, body) is Recorded.DUPLICATE  # delivered twice
        kept = record_rasa_event(s, published(customer, event="action", name="action_offer"))
        assert kept is Recorded.STORED
        routine = published(customer, event="action", name="action_listen")
        assert record_rasa_event(s, routine) is Recorded.NOT_KEPT
        assert record_rasa_event(s, published(customer, event="slot")) is Recorded.NOT_KEPT
    with sessions() as s:
        rows = s.scalars(select(AnalyticsEvent).order_by(AnalyticsEvent.id)).all()
        assert [(r.kind, r.name, r.confidence, r.channel) for r in rows] == [
            ("user", "share_taste", 0.93, "web"),
            ("action", "action_offer", None, None),
        ]
        assert rows[0].at.isoformat() == "2025-12-01T10:00:00.500000+00:00"
        assert "Comté" not in repr([vars(r) for r in rows])


def test_what_cannot_be_kept_is_said_so(sessions: sessionmaker[Session], customer: str) -> None:
    with sessions.begin() as s:
        assert record_rasa_event(s, b"not json") is Recorded.MALFORMED
        assert record_rasa_event(s, b'{"event": "user"}') is Recorded.MALFORMED
        stranger = published("nobody-we-know", **USER)
        assert record_rasa_event(s, stranger) is Recorded.UNKNOWN_CUSTOMER


def test_an_erased_customers_events_go_with_them(
    sessions: sessionmaker[Session], customer: str
) -> None:
    with sessions.begin() as s:
        record_rasa_event(s, published(customer, **USER))
    with sessions.begin() as s:
        counts, _ = erase_profile_rows(s, customer)
        assert counts["analytics_event"] == 1
    with sessions.begin() as s:
        assert s.scalars(select(AnalyticsEvent)).all() == []
        # A late event of the erased customer is dropped.
        assert record_rasa_event(s, published(customer, **USER)) is Recorded.UNKNOWN_CUSTOMER


def test_the_broker_section_of_rasas_endpoints() -> None:
    assert broker_endpoint("amqp://guest:p%40ss@mq.internal:5673/") == (
        "event_broker:\n  type: pika\n  url: mq.internal\n  port: 5673\n  username: guest\n"
        '  password: "p@ss"\n  queues:\n    - rapport_events\n'
    )
    with pytest.raises(ValueError, match="amqp://user:pass@host:5672/"):
        broker_endpoint("http://mq.internal")
