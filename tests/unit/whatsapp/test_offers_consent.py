"""Proactive offers on WhatsApp need the customer's yes there, and no later no anywhere: once
channels are linked, an opt-out given by email stops WhatsApp offers too."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from channels.whatsapp.store import offers_consent
from profile_store.linking import check_code, issue_code, request_link
from profile_store.repository import record_consent, resolve_customer

WA = "447700900321"


def consent(sessions: sessionmaker[Session], cid: str, channel: str, granted: bool) -> None:
    with sessions.begin() as s:
        record_consent(s, cid, purpose="offers", channel=channel, granted=granted)


def test_an_opt_out_on_a_linked_channel_stops_whatsapp_offers(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        on_wa = resolve_customer(s, "whatsapp", WA).id
        by_mail = resolve_customer(s, "email", "jo@example.org").id
    consent(sessions, on_wa, "whatsapp", True)
    assert offers_consent(sessions, WA) == (on_wa, True)
    consent(sessions, by_mail, "email", False)
    assert offers_consent(sessions, WA) == (on_wa, True), "not linked yet: not theirs"

    with sessions.begin() as s:
        code = issue_code(s, request_link(s, by_mail, "whatsapp", WA).id)
        assert code is not None and check_code(s, by_mail, code).outcome == "linked"
    assert offers_consent(sessions, WA) == (by_mail, False), "the stricter word wins"
    consent(sessions, by_mail, "whatsapp", True)
    assert offers_consent(sessions, WA) == (by_mail, True), "a new yes on WhatsApp counts"


def test_an_erased_customers_no_holds_until_the_number_says_yes_again(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAPPORT_SUPPRESSION_KEY", "a test key")
    from channels.whatsapp.store import claim_and_consent
    from profile_store.erasure import erase_everything

    with sessions.begin() as s:
        first = resolve_customer(s, "whatsapp", WA).id
    consent(sessions, first, "whatsapp", False)
    with sessions.begin() as s:
        erase_everything(s, first, tracker_url=None, by="customer")
    with sessions.begin() as s:
        again = resolve_customer(s, "whatsapp", WA).id
    consent(sessions, again, "whatsapp", True)  # e.g. a consent recorded by staff
    assert offers_consent(sessions, WA) == (again, False), "the suppression list holds"
    assert claim_and_consent(sessions, WA, "wamid.start-1", again, True)
    assert offers_consent(sessions, WA) == (again, True), "their own START lifts it"
