"""Messages we send first on WhatsApp need the customer's yes to them, their latest word on
WhatsApp itself a yes, and no later no anywhere: once channels are linked, an opt-out given by
email stops WhatsApp offers too."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from channels.whatsapp.store import may_write_first
from profile_store.consents import record_consent
from profile_store.linking import check_code, issue_code, request_link
from profile_store.repository import resolve_customer

WA = "447700900321"


def consent(
    sessions: sessionmaker[Session],
    cid: str,
    channel: str,
    granted: bool,
    purposes: tuple[str, ...] = ("offers", "proactive"),
) -> None:
    with sessions.begin() as s:
        for purpose in purposes:
            record_consent(s, cid, purpose=purpose, channel=channel, granted=granted)


def test_offers_alone_are_not_a_yes_to_being_written_first(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        cid = resolve_customer(s, "whatsapp", WA).id
    consent(sessions, cid, "whatsapp", True, purposes=("offers",))
    assert may_write_first(sessions, WA) == (cid, False), "START alone: offers when asked"
    consent(sessions, cid, "web", True, purposes=("proactive",))
    assert may_write_first(sessions, WA) == (cid, True), "a yes on the web, WhatsApp's yes too"
    consent(sessions, cid, "email", False, purposes=("proactive",))
    assert may_write_first(sessions, WA) == (cid, False), "don't message me first, said by mail"


def test_an_opt_out_on_a_linked_channel_stops_whatsapp_offers(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        on_wa = resolve_customer(s, "whatsapp", WA).id
        by_mail = resolve_customer(s, "email", "jo@example.org").id
    consent(sessions, on_wa, "whatsapp", True)
    assert may_write_first(sessions, WA) == (on_wa, True)
    consent(sessions, by_mail, "email", False, purposes=("offers",))
    assert may_write_first(sessions, WA) == (on_wa, True), "not linked yet: not theirs"

    with sessions.begin() as s:
        code = issue_code(s, request_link(s, by_mail, "whatsapp", WA).id)
        assert code is not None and check_code(s, by_mail, code).outcome == "linked"
    assert may_write_first(sessions, WA) == (by_mail, False), "the stricter word wins"
    consent(sessions, by_mail, "whatsapp", True, purposes=("offers",))
    assert may_write_first(sessions, WA) == (by_mail, True), "a new yes on WhatsApp counts"


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
    assert may_write_first(sessions, WA) == (again, False), "the suppression list holds"
    assert claim_and_consent(sessions, WA, "wamid.start-1", again, True, "START")
    assert may_write_first(sessions, WA) == (again, True), "their own START lifts it"
