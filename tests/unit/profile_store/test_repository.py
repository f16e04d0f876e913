from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from profile_store.addresses import InvalidAddress
from profile_store.export import export_customer
from profile_store.models import Customer, Preference
from profile_store.repository import (
    UnknownCustomer,
    active_preferences,
    find_customer,
    forget_preferences,
    preference_history,
    record_habit,
    record_offer_event,
    record_preference,
    resolve_customer,
    set_name,
    upsert_catalogue,
)


def _like(session: Session, cid: str, subject: str, stated: str, **kw: object) -> Preference:
    return record_preference(
        session,
        cid,
        subject=subject,
        polarity=kw.pop("polarity", "like"),
        stated=stated,
        channel=kw.pop("channel", "web"),
        **kw,  # type: ignore[arg-type]
    )


def test_an_address_is_found_however_it_is_typed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        mail = resolve_customer(s, "email", "John.Smith@example.com").id
        phone = resolve_customer(s, "whatsapp", "33612345678").id
    with sessions.begin() as s:
        assert find_customer(s, "email:John.Smith@Example.COM").id == mail  # type: ignore[union-attr]
        assert find_customer(s, "email: John.Smith@EXAMPLE.com ").id == mail  # type: ignore[union-attr]
        assert resolve_customer(s, "email", "John.Smith@EXAMPLE.COM").id == mail
        assert find_customer(s, "whatsapp:+33 6 12 34 56 78").id == phone  # type: ignore[union-attr]
        assert find_customer(s, "whatsapp:+33-6-12-34-56-78").id == phone  # type: ignore[union-attr]
        # The local part belongs to the receiving server: another case is another address.
        assert find_customer(s, "email:john.smith@example.com") is None
        assert find_customer(s, "email:not an address") is None
        with pytest.raises(InvalidAddress):
            resolve_customer(s, "email", "nobody")


def test_one_identity_is_one_customer(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        first = resolve_customer(s, "whatsapp", "+33612345678").id
    with sessions.begin() as s:
        assert resolve_customer(s, "whatsapp", "+33612345678").id == first
        assert resolve_customer(s, "rest", "+33612345678").id != first
        assert find_customer(s, "whatsapp:+33612345678").id == first  # type: ignore[union-attr]
        assert find_customer(s, first).id == first  # type: ignore[union-attr]
        assert find_customer(s, "whatsapp:+44") is None
        assert find_customer(s, "nobody") is None


def test_a_newer_statement_wins_and_the_older_is_kept_as_history(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        cid = resolve_customer(s, "web", "a").id
        _like(s, cid, "Beaufort", "I love Beaufort")
        _like(s, cid, "beaufort", "actually Beaufort is too strong", polarity="dislike")
    with sessions.begin() as s:
        active = active_preferences(s, cid)
        assert [(p.subject, p.polarity.value) for p in active] == [("beaufort", "dislike")]
        assert [p.stated for p in preference_history(s, cid)] == ["I love Beaufort"]


def test_forgetting_erases_the_fact_and_its_history(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        cid = resolve_customer(s, "web", "b").id
        _like(s, cid, "veal paupiettes", "I love veal paupiettes")
        _like(s, cid, "veal paupiettes", "I adore veal paupiettes")
        _like(s, cid, "lamb", "I quite like lamb")
    with sessions.begin() as s:
        removed = forget_preferences(s, cid, ["Veal Paupiettes"])
        assert [p.stated for p in removed] == ["I adore veal paupiettes"]
    with sessions.begin() as s:
        assert [p.subject for p in active_preferences(s, cid)] == ["lamb"]
        assert preference_history(s, cid) == []
        assert forget_preferences(s, cid, ["comté"]) == []


def test_forget_everything(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        cid = resolve_customer(s, "web", "c").id
        _like(s, cid, "lamb", "I like lamb")
        record_habit(
            s, cid, what="shops", when="Saturday morning", stated="Saturdays", channel="web"
        )
    with sessions.begin() as s:
        forget_preferences(s, cid, ["*"])
    with sessions.begin() as s:
        doc = export_customer(s, cid)
        assert doc["preferences"] == [] and doc["habits"] == []


def test_export_has_the_documented_shape_and_provenance(sessions: sessionmaker[Session]) -> None:
    at = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    with sessions.begin() as s:
        cid = resolve_customer(s, "whatsapp", "+33612345678").id
        set_name(s, cid, "Philippe")
        _like(s, cid, "veal paupiettes", "I love veal paupiettes", category="butcher", at=at)
        _like(
            s,
            cid,
            "nuts",
            "I'm allergic to nuts",
            polarity="avoid",
            reason="allergy",
            channel="whatsapp",
            at=at + timedelta(minutes=1),
        )
        record_habit(
            s,
            cid,
            what="shops for the weekend",
            when="Saturday morning",
            frequency="weekly",
            stated="I come on Saturday mornings",
            channel="email",
        )
        record_offer_event(s, cid, offer_id="OFF-001", event="presented", channel="web")
    with sessions.begin() as s:
        doc = export_customer(s, cid)
    assert set(doc) == {
        "customer", "identities", "preferences", "habits", "consents", "offers", "links"
    }  # fmt: skip
    assert doc["customer"]["name"] == "Philippe"
    assert doc["identities"] == [
        {"channel": "whatsapp", "address": "33612345678", "verified": True}
    ]
    assert doc["preferences"][0] == {
        "subject": "veal paupiettes",
        "polarity": "like",
        "reason": None,
        "category": "butcher",
        "who": None,
        "until": None,
        "stated": "I love veal paupiettes",
        "channel": "web",
        "at": "2026-03-03T10:00:00Z",
    }
    assert doc["preferences"][1]["polarity"] == "avoid"
    assert doc["preferences"][1]["reason"] == "allergy"
    assert doc["habits"][0]["frequency"] == "weekly"
    assert doc["offers"][0]["event"] == "presented"


def test_times_are_timezone_aware_utc(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        cid = resolve_customer(s, "web", "tz").id
        _like(s, cid, "lamb", "I like lamb")
    with sessions.begin() as s:
        pref = active_preferences(s, cid)[0]
        assert pref.at.tzinfo is not None and pref.at.utcoffset() == timedelta(0)
        with pytest.raises(ValueError, match="naive"):
            _like(s, cid, "beef", "beef", at=datetime(2026, 1, 1))


def test_unknown_customer_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s, pytest.raises(UnknownCustomer):
        _like(s, "does-not-exist", "lamb", "I like lamb")


def test_erasing_a_customer_cascades(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        cid = resolve_customer(s, "web", "gone").id
        _like(s, cid, "lamb", "I like lamb")
    with sessions.begin() as s:
        s.delete(s.get(Customer, cid))
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Preference)) == 0


def test_catalogue_reimport_is_idempotent(sessions: sessionmaker[Session]) -> None:
    product = {
        "sku": "BUT-001",
        "name": "Veal paupiettes",
        "category": "butcher",
        "tags": ("veal",),
        "synonyms": (),
        "allergens": ("gluten",),
        "diets": (),
        "price": "6.90",
        "unit": "per piece",
        "description": "rolled veal",
    }
    with sessions.begin() as s:
        first = upsert_catalogue(s, [product], [])
    with sessions.begin() as s:
        again = upsert_catalogue(s, [product], [])
    with sessions.begin() as s:
        changed = upsert_catalogue(s, [{**product, "name": "Veal paupiettes (x2)"}], [])
    assert first["products_created"] == 1
    assert again["products_unchanged"] == 1 and again["products_created"] == 0
    assert changed["products_updated"] == 1
