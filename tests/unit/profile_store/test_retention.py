"""Retention: transcripts past the period are pruned (tracker events, message logs, sent mails,
link requests), recent ones and every fact are kept; by hand (CLI) and daily by the gateway."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import Engine, create_engine, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

import channels.retention as gateway_retention
from channels.keys import sessionmaker_key, settings_key
from profile_store.email import SentEmail
from profile_store.linking import LinkEvent, LinkRequest
from profile_store.messages import InboundMessage, OutboundMessage
from profile_store.models import Consent, Habit, OfferEvent, Preference, utcnow
from profile_store.repository import (
    record_habit,
    record_offer_event,
    record_preference,
    resolve_customer,
)
from profile_store.retention import prune_transcripts
from rapport import cli
from rapport.settings import Settings
from tests.unit.profile_store.test_erasure import RASA_EVENTS, create_rasa_tracker

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
FACTS = (Preference, Habit, Consent, OfferEvent, LinkEvent)
TRANSCRIPTS = (InboundMessage, OutboundMessage, SentEmail, LinkRequest)


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    create_rasa_tracker(engine)
    yield engine
    engine.dispose()


def _event(sender: str, text: str, at: datetime) -> dict[str, object]:
    data = {"event": "user", "timestamp": at.timestamp(), "text": text}
    return {
        "sender_id": sender,
        "type_name": "user",
        "timestamp": at.timestamp(),
        "data": json.dumps(data),
    }


def talk(sessions: sessionmaker[Session], tracker: Engine, at: datetime, tag: str) -> str:
    """A customer who states facts and exchanges messages on every channel at `at`."""
    with sessions.begin() as s:
        cid = resolve_customer(s, "email", f"{tag}@example.org").id
        record_preference(
            s, cid, subject="comté", polarity="like", stated="I adore Comte", channel="email", at=at
        )
        record_habit(s, cid, what="weekend", stated="Saturdays", channel="email", at=at)
        s.add(Consent(customer_id=cid, purpose="offers", channel="email", granted=True, at=at))
        record_offer_event(s, cid, offer_id="OFF-1", event="presented", channel="email")
        s.add(
            LinkEvent(
                customer_id=cid, action="link", channel="email", address="x", by="customer", at=at
            )
        )
        address = f"{tag}@example.org"
        s.add(
            InboundMessage(
                channel="email",
                message_id=f"<{tag}>",
                address=address,
                customer_id=cid,
                received_at=at,
            )
        )
        s.add(
            OutboundMessage(
                channel="email",
                idempotency_key=f"k-{tag}",
                address=address,
                customer_id=cid,
                created_at=at,
                updated_at=at,
            )
        )
        s.add(
            SentEmail(
                message_id=f"<sent-{tag}>",
                address=address,
                customer_id=cid,
                subject="Your offers",
                choices=[],
                sent_at=at,
            )
        )
        s.add(LinkRequest(customer_id=cid, channel="whatsapp", address="4477001", created_at=at))
    with tracker.begin() as conn:
        conn.execute(insert(RASA_EVENTS), [_event(cid, f"hello from {tag}", at)])
    return cid


def _counts(sessions: sessionmaker[Session], tracker: Engine) -> dict[str, int]:
    with sessions.begin() as s:
        counts = {
            m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
            for m in (*FACTS, *TRANSCRIPTS)
        }
    with tracker.connect() as conn:
        counts["events"] = conn.scalar(select(func.count()).select_from(RASA_EVENTS)) or 0
    return counts


def test_transcripts_past_the_period_go_recent_ones_and_every_fact_stay(
    sessions: sessionmaker[Session], tracker: Engine
) -> None:
    talk(sessions, tracker, NOW - timedelta(days=400), "old")
    talk(sessions, tracker, NOW - timedelta(days=10), "recent")
    with sessions.begin() as s:
        counts = prune_transcripts(s, tracker, now=NOW, days=180)
    assert counts == {
        "inbound_messages": 1,
        "outbound_messages": 1,
        "sent_emails": 1,
        "link_requests": 1,
        "tracker_events": 1,
    }
    after = _counts(sessions, tracker)
    assert {t.__tablename__: after[t.__tablename__] for t in FACTS} == {
        t.__tablename__: 2 for t in FACTS
    }
    assert {t.__tablename__: after[t.__tablename__] for t in TRANSCRIPTS} == {
        t.__tablename__: 1 for t in TRANSCRIPTS
    }
    with tracker.connect() as conn:
        assert [r.data for r in conn.execute(select(RASA_EVENTS))][0].count("recent") == 1


def test_with_the_clock_moved_forward_the_same_transcripts_go_once_their_time_is_up(
    sessions: sessionmaker[Session], tracker: Engine
) -> None:
    talk(sessions, tracker, NOW, "today")
    before = _counts(sessions, tracker)
    with sessions.begin() as s:
        counts = prune_transcripts(s, tracker, now=NOW + timedelta(days=179), days=180)
    assert set(counts.values()) == {0}
    assert _counts(sessions, tracker) == before
    with sessions.begin() as s:
        counts = prune_transcripts(s, tracker, now=NOW + timedelta(days=181), days=180)
    assert set(counts.values()) == {1}
    after = _counts(sessions, tracker)
    assert all(after[t.__tablename__] == 1 for t in FACTS), after
    assert all(after[t.__tablename__] == 0 for t in TRANSCRIPTS) and after["events"] == 0


def test_a_period_under_a_day_is_refused_and_no_tracker_is_no_problem(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as s, pytest.raises(ValueError):
        prune_transcripts(s, None, now=NOW, days=0)
    with sessions.begin() as s:
        assert prune_transcripts(s, None, now=NOW, days=1)["tracker_events"] == 0
    never = create_engine(f"sqlite:///{tmp_path / 'none' / 'tracker.db'}")
    with sessions.begin() as s:
        assert prune_transcripts(s, never, now=NOW, days=1)["tracker_events"] == 0
    assert not (tmp_path / "none").exists()


def test_the_cli_prunes_with_the_days_given(
    sessions: sessionmaker[Session],
    tracker: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    talk(sessions, tracker, utcnow() - timedelta(days=40), "forty")
    talk(sessions, tracker, utcnow() - timedelta(days=5), "five")
    monkeypatch.setenv("RAPPORT_DATABASE_URL", database_url)
    monkeypatch.setenv("RAPPORT_TRACKER_DB_URL", str(tracker.url))
    monkeypatch.setenv("RAPPORT_SESSION_SECRET", "unit-test")
    monkeypatch.setenv("RAPPORT_SUPPRESSION_KEY", "unit-test")
    assert cli.main(["retention", "prune"]) == 0  # 180 days by default: nothing that old
    assert _counts(sessions, tracker)["events"] == 2
    assert cli.main(["retention", "prune", "--days", "30"]) == 0
    assert "1 tracker events" in capsys.readouterr().out
    assert _counts(sessions, tracker)["events"] == 1
    assert cli.main(["retention", "prune", "--days", "0"]) == 2


async def _run_gateway_context(settings: Settings, sessions: sessionmaker[Session]) -> None:
    app = web.Application()
    app[settings_key] = settings
    app[sessionmaker_key] = sessions
    app.cleanup_ctx.append(gateway_retention.scheduled_prune)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await asyncio.sleep(0.5)
    finally:
        await runner.cleanup()


async def test_the_gateway_prunes_shortly_after_start(
    sessions: sessionmaker[Session],
    tracker: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gateway_retention, "FIRST_RUN_AFTER_S", 0.05)
    talk(sessions, tracker, utcnow() - timedelta(days=200), "old")
    talk(sessions, tracker, utcnow() - timedelta(days=2), "recent")
    settings = Settings(
        database_url=database_url,
        tracker_db_url=str(tracker.url),
        session_secret="unit-test",
        transcript_retention_days=0,  # off: nothing happens
    )
    await _run_gateway_context(settings, sessions)
    assert _counts(sessions, tracker)["events"] == 2
    await _run_gateway_context(replace(settings, transcript_retention_days=180), sessions)
    after = _counts(sessions, tracker)
    assert after["events"] == 1 and after["inbound_message"] == 1 and after["preference"] == 2
