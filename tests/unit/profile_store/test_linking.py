"""Verified identity linking: codes, tries and rate limits, merging two customers' relationships
(facts, consents, offers, conversation), unlinking, and the link log in the export."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

import profile_store.linking as linking
from profile_store.db import alembic_config, make_engine, make_sessionmaker, migrate
from profile_store.email import record_sent_email
from profile_store.export import export_customer
from profile_store.handoff import (
    Conversation,
    ConversationStatus,
    record_event,
    status_of,
)
from profile_store.linking import (
    CODE_TTL,
    MAX_TRIES,
    PER_CUSTOMER_PER_HOUR,
    PER_TARGET_PER_HOUR,
    CheckResult,
    Conflict,
    LinkRefused,
    LinkRequest,
    check_code,
    identities_of,
    issue_code,
    link_events,
    merge_customers,
    open_request,
    request_link,
    unlink,
)
from profile_store.messages import claim_inbound, record_outbound
from profile_store.models import Base, Consent, Customer, Identity
from profile_store.repository import (
    preference_history,
    record_habit,
    record_offer_event,
    record_preference,
    resolve_customer,
    set_name,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BEA_MAIL = "Bea.Martin@Example.org"  # as typed; stored as Bea.Martin@example.org
BEA_PHONE = "+33 6 12 34 56 78"  # stored as 33612345678


def _customer(s: Session, channel: str, address: str) -> str:
    return resolve_customer(s, channel, address).id


def _send_code(
    s: Session, cid: str, channel: str, address: str, *, now: datetime = NOW
) -> tuple[LinkRequest, str]:
    """What the bot and the gateway do: a request, then the code sent to the address."""
    request = request_link(s, cid, channel, address, now=now)
    code = issue_code(s, request.id, now=now)
    assert code is not None
    return request, code


@pytest.fixture
def distinct_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Codes 100001, 100002, ... so that two requests never share one by chance."""
    drawn = iter(range(100_001, 200_000))
    monkeypatch.setattr(linking.secrets, "randbelow", lambda n: next(drawn))


def _not(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _fact(s: Session, cid: str, subject: str, polarity: str, stated: str, **kw: object) -> None:
    record_preference(
        s,
        cid,
        subject=subject,
        polarity=polarity,
        stated=stated,
        channel=kw.pop("channel", "web"),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


# --- codes ---------------------------------------------------------------------------------


def test_a_code_has_six_digits_is_kept_only_as_a_hash_and_links_once(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        codes = {
            issue_code(s, request_link(s, anna, "email", f"a{i}@example.org").id) for i in "12"
        }
        assert all(re.fullmatch(r"\d{6}", c or "") for c in codes)
    monkeypatch.setattr(linking.secrets, "randbelow", lambda n: 4211)
    with sessions.begin() as s:
        request, code = _send_code(s, anna, "email", "anna@example.org")
        assert code == "004211"  # leading zeros kept
        assert request.code_hash != code and code not in (request.code_hash or "") + request.salt
        assert issue_code(s, request.id, now=NOW) is None  # a code is given once
        assert issue_code(s, 999_999) is None
        assert open_request(s, anna, now=NOW) is request
    with sessions.begin() as s:
        assert check_code(s, anna, "004 211", now=NOW + timedelta(minutes=1)) == CheckResult(
            "linked", channel="email", address="anna@example.org"
        )
    with sessions.begin() as s:
        assert check_code(s, anna, code, now=NOW + timedelta(minutes=2)).outcome == "no_request"
        assert open_request(s, anna, now=NOW) is None
        assert issue_code(s, request.id) is None  # used
        doc = export_customer(s, anna)
    assert doc["identities"] == [
        {"channel": "web", "address": "anna-session", "verified": True},
        {"channel": "email", "address": "anna@example.org", "verified": True},
    ]


def test_a_wrong_code_costs_a_try_then_the_right_one_links(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        _, code = _send_code(s, anna, "whatsapp", BEA_PHONE)
    with sessions.begin() as s:
        wrong = check_code(s, anna, _not(code), now=NOW)
        assert (wrong.outcome, wrong.tries_left) == ("wrong", MAX_TRIES - 1)
        assert check_code(s, anna, "not a code", now=NOW).tries_left == MAX_TRIES - 2
    with sessions.begin() as s:
        linked = check_code(s, anna, code, now=NOW + timedelta(minutes=9))
        assert (linked.outcome, linked.channel, linked.address) == (
            "linked",
            "whatsapp",
            "33612345678",
        )
        assert [(i.channel, i.address) for i in identities_of(s, anna)] == [
            ("web", "anna-session"),
            ("whatsapp", "33612345678"),
        ]


def test_an_expired_code_links_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        _, code = _send_code(s, anna, "email", "anna@example.org")
    later = NOW + CODE_TTL + timedelta(minutes=1)
    with sessions.begin() as s:
        assert open_request(s, anna, now=later) is None
        result = check_code(s, anna, code, now=later)
        assert (result.outcome, result.address) == ("expired", "anna@example.org")
        assert check_code(s, anna, code, now=later).outcome == "expired"
        assert [i.channel for i in identities_of(s, anna)] == ["web"]


def test_the_sixth_try_is_refused_even_with_the_right_code(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        _, code = _send_code(s, anna, "email", "anna@example.org")
    outcomes = []
    for _ in range(MAX_TRIES):
        with sessions.begin() as s:
            result = check_code(s, anna, _not(code), now=NOW)
            outcomes.append((result.outcome, result.tries_left))
    assert outcomes == [("wrong", 4), ("wrong", 3), ("wrong", 2), ("wrong", 1), ("exhausted", 0)]
    with sessions.begin() as s:
        assert check_code(s, anna, code, now=NOW).outcome == "exhausted"
        assert open_request(s, anna, now=NOW) is None
        assert [i.channel for i in identities_of(s, anna)] == ["web"]
        assert export_customer(s, anna)["links"] == []


def test_a_code_sent_for_another_customers_request_links_nothing(
    sessions: sessionmaker[Session],
    distinct_codes: None,
) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        mallory = _customer(s, "web", "mallory-session")
        _, annas_code = _send_code(s, anna, "email", "anna@example.org")
    with sessions.begin() as s:
        # Mallory has no request: Anna's code means nothing to her.
        assert check_code(s, mallory, annas_code, now=NOW).outcome == "no_request"
        _, mallorys_code = _send_code(s, mallory, "email", "anna@example.org")
    with sessions.begin() as s:
        assert check_code(s, mallory, annas_code, now=NOW).outcome == "wrong"
        assert [i.channel for i in identities_of(s, mallory)] == ["web"]
        assert check_code(s, anna, annas_code, now=NOW).outcome == "linked"
        assert s.get(Customer, mallory) is not None
        assert [i.channel for i in identities_of(s, mallory)] == ["web"]


def test_a_new_request_cancels_the_earlier_code(
    sessions: sessionmaker[Session], distinct_codes: None
) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        _, first = _send_code(s, anna, "email", "anna@example.org")
        second_request, second = _send_code(s, anna, "email", "anna.b@example.org")
        assert open_request(s, anna, now=NOW) is second_request
    with sessions.begin() as s:
        assert check_code(s, anna, first, now=NOW).outcome == "wrong"
        result = check_code(s, anna, second, now=NOW)
        assert (result.outcome, result.address) == ("linked", "anna.b@example.org")


def test_what_cannot_be_linked_is_refused_with_a_reason(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "email", "anna@example.org")
        refused = {}
        for channel, address in [
            ("web", "other-session"),
            ("rest", "anna"),
            ("email", "nobody"),
            ("whatsapp", "call me maybe"),
            ("whatsapp", "+33 6"),
        ]:
            with pytest.raises(LinkRefused) as caught:
                request_link(s, anna, channel, address, now=NOW)
            refused[address] = caught.value.code
            assert caught.value.message.endswith(".")
        assert refused == {
            "other-session": "not_linkable",
            "anna": "not_linkable",
            "nobody": "invalid_address",
            "call me maybe": "invalid_address",
            "+33 6": "invalid_address",
        }
        with pytest.raises(LinkRefused) as caught:
            request_link(s, anna, "email", " anna@EXAMPLE.org", now=NOW)
        assert caught.value.code == "already_linked"
        assert s.scalar(select(func.count()).select_from(LinkRequest)) == 0


def test_at_most_three_codes_to_one_address_in_an_hour_whoever_asks(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        askers = [_customer(s, "web", f"session-{i}") for i in range(PER_TARGET_PER_HOUR + 1)]
        for i, cid in enumerate(askers[:PER_TARGET_PER_HOUR]):
            _send_code(s, cid, "email", BEA_MAIL, now=NOW + timedelta(minutes=i))
        assert request_link(s, askers[-1], "whatsapp", BEA_PHONE, now=NOW)  # another target
        with pytest.raises(LinkRefused) as caught:
            request_link(s, askers[-1], "email", "Bea.Martin@EXAMPLE.ORG", now=NOW)
        assert caught.value.code == "rate_limited"
        # An hour after the first code, one more may go.
        later = NOW + timedelta(hours=1, seconds=1)
        assert request_link(s, askers[-1], "email", BEA_MAIL, now=later).address == (
            "Bea.Martin@example.org"
        )


def test_at_most_five_requests_by_one_customer_in_an_hour(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        for i in range(PER_CUSTOMER_PER_HOUR):
            request_link(s, anna, "email", f"anna{i}@example.org", now=NOW + timedelta(minutes=i))
        with pytest.raises(LinkRefused) as caught:
            request_link(s, anna, "email", "anna9@example.org", now=NOW + timedelta(minutes=30))
        assert caught.value.code == "rate_limited"
        assert request_link(s, anna, "email", "anna9@example.org", now=NOW + timedelta(hours=2))


# --- merging -------------------------------------------------------------------------------


def _bea(s: Session) -> str:
    """A customer known by email and WhatsApp, with a whole relationship."""
    bea = _customer(s, "email", BEA_MAIL)
    s.add(Identity(customer_id=bea, channel="whatsapp", address="33612345678"))
    set_name(s, bea, "Bea")
    _fact(s, bea, "comté", "like", "I adore Comté", channel="email", at=NOW - timedelta(days=3))
    record_habit(
        s, bea, what="shops for the weekend", when="Saturday", stated="Saturdays", channel="email"
    )
    s.add(
        Consent(
            customer_id=bea,
            purpose="offers",
            channel="whatsapp",
            granted=True,
            at=NOW - timedelta(days=2),
        )
    )
    record_offer_event(s, bea, offer_id="OFF-2", event="accepted", channel="whatsapp")
    claim_inbound(s, "email", "<m1@example.org>", "Bea.Martin@example.org", bea)
    record_outbound(s, "whatsapp", "key-1", "33612345678", bea)
    record_sent_email(s, "<s1@rapport>", "Bea.Martin@example.org", "Hello", [], bea)
    record_event(s, customer_id=bea, action="hand_over", actor="customer", at=NOW)
    s.add(Conversation(customer_id=bea, status=ConversationStatus.WAITING, waiting_since=NOW))
    s.flush()
    return bea


def test_linking_an_address_of_another_customer_brings_their_whole_relationship(
    sessions: sessionmaker[Session],
    distinct_codes: None,
) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        _fact(s, anna, "lamb", "like", "I love lamb", at=NOW - timedelta(days=1))
        record_offer_event(s, anna, offer_id="OFF-1", event="presented", channel="web")
        bea = _bea(s)
        # Every row that names either customer, table by table, before the link.
        before, _ = _rows_naming(s, anna, bea)
        # Someone else's code for Bea's address does nothing to either of them.
        mallory = _customer(s, "web", "mallory-session")
        _, mallorys_code = _send_code(s, mallory, "email", BEA_MAIL)
        _, code = _send_code(s, anna, "email", BEA_MAIL)
    with sessions.begin() as s:
        assert check_code(s, anna, mallorys_code, now=NOW).outcome == "wrong"
        assert s.get(Customer, bea) is not None
        result = check_code(s, anna, code, now=NOW)
        assert (result.outcome, result.merged_customer, result.conflicts) == ("linked", bea, ())
    with sessions.begin() as s:
        assert s.get(Customer, bea) is None
        after, left_behind = _rows_naming(s, anna, bea)
        doc = export_customer(s, anna)
        assert status_of(s, anna) is ConversationStatus.WAITING  # Bea was waiting for a person
    # Nothing lost, nothing left behind: only the link itself was added (and Bea's former id,
    # under which Rasa still keeps her messages, for an erasure to find).
    assert left_behind == 0
    assert after == {**before, "link_event": 1, "link_request": 1, "former_sender": 1}
    assert doc["customer"]["name"] == "Bea"
    assert [(i["channel"], i["address"]) for i in doc["identities"]] == [
        ("web", "anna-session"),
        ("email", "Bea.Martin@example.org"),
        ("whatsapp", "33612345678"),
    ]
    assert [(p["subject"], p["channel"]) for p in doc["preferences"]] == [
        ("comté", "email"),
        ("lamb", "web"),
    ]
    assert [h["what"] for h in doc["habits"]] == ["shops for the weekend"]
    assert [(c["purpose"], c["channel"], c["granted"]) for c in doc["consents"]] == [
        ("offers", "whatsapp", True)
    ]
    assert sorted(o["offer_id"] for o in doc["offers"]) == ["OFF-1", "OFF-2"]
    assert doc["links"] == [
        {
            "action": "link",
            "channel": "email",
            "address": "Bea.Martin@example.org",
            "by": "customer",
            "at": "2026-12-01T09:00:00Z",
        }
    ]


def _rows_naming(s: Session, into: str, gone: str) -> tuple[dict[str, int], int]:
    """Rows naming either customer, per table that refers to customers; rows naming `gone`."""
    counts: dict[str, int] = {}
    left = 0
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != "customer":
                continue
            column = fk.parent
            counts[table.name] = (
                s.scalar(select(func.count()).select_from(table).where(column.in_([into, gone])))
                or 0
            )
            left += s.scalar(select(func.count()).select_from(table).where(column == gone)) or 0
    assert {
        "preference",
        "habit",
        "consent",
        "offer_event",
        "identity",
        "inbound_message",
        "outbound_message",
        "email_sent",
        "handoff_event",
        "conversation",
        "link_request",
        "link_event",
    } <= set(counts)
    return counts, left


def test_opposite_facts_an_avoid_stays_otherwise_the_newer(sessions: sessionmaker[Session]) -> None:
    old, new = NOW - timedelta(days=2), NOW - timedelta(days=1)
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        bea = _customer(s, "email", BEA_MAIL)
        _fact(s, anna, "Lamb", "like", "I love lamb", at=old)
        _fact(s, bea, "lamb", "dislike", "lamb is too fatty for me", at=new)
        _fact(s, anna, "peanuts", "avoid", "I'm allergic to peanuts", reason="allergy", at=old)
        _fact(s, bea, "peanuts", "like", "peanut butter is my thing", at=new)
        _fact(s, anna, "coriander", "like", "coriander everywhere please", at=old)
        _fact(s, bea, "coriander", "like", "I like coriander", at=new)  # same polarity
        _fact(s, bea, "lamb", "like", "my husband loves lamb", member="husband", at=new)
        _, code = _send_code(s, anna, "email", BEA_MAIL)
    with sessions.begin() as s:
        result = check_code(s, anna, code, now=NOW)
    assert set(result.conflicts) == {
        Conflict("lamb", None, "dislike", "like", "lamb is too fatty for me", "I love lamb"),
        Conflict(
            "peanuts", None, "avoid", "like", "I'm allergic to peanuts", "peanut butter is my thing"
        ),
    }
    with sessions.begin() as s:
        doc = export_customer(s, anna, now=NOW)
        history = [(p.stated, p.superseded_at) for p in preference_history(s, anna, now=NOW)]
    assert sorted(
        (p["subject"], p["who"] or "", p["polarity"], p["stated"]) for p in doc["preferences"]
    ) == [
        ("coriander", "", "like", "I like coriander"),
        ("lamb", "", "dislike", "lamb is too fatty for me"),
        ("lamb", "husband", "like", "my husband loves lamb"),
        ("peanuts", "", "avoid", "I'm allergic to peanuts"),
    ]
    assert ("I love lamb", NOW) in history
    assert ("peanut butter is my thing", NOW) in history


def test_an_avoid_stays_even_behind_a_time_bounded_fact_of_the_other_side(
    sessions: sessionmaker[Session],
) -> None:
    sunday = NOW + timedelta(days=5)
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        bea = _customer(s, "email", BEA_MAIL)
        _fact(s, anna, "peanuts", "avoid", "no peanuts, allergy", at=NOW - timedelta(days=9))
        _fact(s, bea, "peanuts", "like", "I love peanuts", at=NOW - timedelta(days=3))
        # Hides Bea's like this week only; the like would come back after Sunday.
        _fact(
            s,
            bea,
            "peanuts",
            "dislike",
            "no peanuts this week",
            until=sunday,
            at=NOW - timedelta(days=1),
        )
        _, code = _send_code(s, anna, "email", BEA_MAIL)
    with sessions.begin() as s:
        [conflict] = check_code(s, anna, code, now=NOW).conflicts
        assert (conflict.kept, conflict.set_aside) == ("avoid", "dislike")
    with sessions.begin() as s:
        for when in (NOW, sunday + timedelta(days=1)):
            [fact] = export_customer(s, anna, now=when)["preferences"]
            assert (fact["polarity"], fact["stated"]) == ("avoid", "no peanuts, allergy")


def test_a_newer_time_bounded_fact_only_hides_the_other_sides_lasting_one(
    sessions: sessionmaker[Session],
) -> None:
    sunday = NOW + timedelta(days=5)
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        bea = _customer(s, "email", BEA_MAIL)
        _fact(s, anna, "lamb", "like", "I love lamb", at=NOW - timedelta(days=9))
        _fact(
            s, bea, "lamb", "dislike", "no lamb this week", until=sunday, at=NOW - timedelta(days=1)
        )
        _, code = _send_code(s, anna, "email", BEA_MAIL)
    with sessions.begin() as s:
        [conflict] = check_code(s, anna, code, now=NOW).conflicts
        assert (conflict.kept, conflict.set_aside) == ("dislike", "like")
    with sessions.begin() as s:
        assert [p["stated"] for p in export_customer(s, anna, now=NOW)["preferences"]] == [
            "no lamb this week"
        ]
        after = export_customer(s, anna, now=sunday + timedelta(days=1))["preferences"]
        assert [p["stated"] for p in after] == ["I love lamb"]


def test_an_opt_out_on_either_side_wins(sessions: sessionmaker[Session]) -> None:
    def consent(cid: str, purpose: str, channel: str, granted: bool, days_ago: int) -> None:
        s.add(
            Consent(
                customer_id=cid,
                purpose=purpose,
                channel=channel,
                granted=granted,
                at=NOW - timedelta(days=days_ago),
            )
        )

    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        bea = _customer(s, "whatsapp", BEA_PHONE)
        consent(anna, "offers", "web", False, 5)  # two opt-outs...
        consent(anna, "offers", "email", False, 4)
        consent(bea, "offers", "whatsapp", True, 1)  # ...and a later opt-in elsewhere
        consent(bea, "newsletter", "whatsapp", True, 1)  # nothing against it
        consent(anna, "surveys", "web", True, 1)
        consent(bea, "surveys", "whatsapp", False, 3)  # older, but the stricter
        _, code = _send_code(s, anna, "whatsapp", BEA_PHONE)
    with sessions.begin() as s:
        assert check_code(s, anna, code, now=NOW).outcome == "linked"
        consents = export_customer(s, anna)["consents"]
    latest = {c["purpose"]: (c["channel"], c["granted"]) for c in consents}
    assert latest == {
        "offers": ("link", False),
        "newsletter": ("whatsapp", True),
        "surveys": ("link", False),
    }
    assert len(consents) == 8  # every earlier word is kept


def test_the_offer_history_of_both_is_kept(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        bea = _customer(s, "email", BEA_MAIL)
        record_offer_event(s, anna, offer_id="OFF-1", event="presented", channel="web")
        record_offer_event(s, bea, offer_id="OFF-1", event="declined", channel="email")
        record_offer_event(s, bea, offer_id="OFF-3", event="accepted", channel="email")
        _, code = _send_code(s, anna, "email", BEA_MAIL)
    with sessions.begin() as s:
        check_code(s, anna, code, now=NOW)
        offers = export_customer(s, anna)["offers"]
    assert [(o["offer_id"], o["event"], o["channel"]) for o in offers] == [
        ("OFF-1", "presented", "web"),
        ("OFF-1", "declined", "email"),
        ("OFF-3", "accepted", "email"),
    ]


@pytest.mark.parametrize(
    ("mine", "theirs", "kept"),
    [
        (ConversationStatus.BOT, ConversationStatus.AGENT, ConversationStatus.AGENT),
        (ConversationStatus.WAITING, ConversationStatus.BOT, ConversationStatus.WAITING),
        (ConversationStatus.CLOSED, ConversationStatus.BOT, ConversationStatus.CLOSED),
        (None, ConversationStatus.WAITING, ConversationStatus.WAITING),
        (ConversationStatus.AGENT, ConversationStatus.WAITING, ConversationStatus.AGENT),
    ],
)
def test_the_conversation_someone_is_in_is_kept(
    sessions: sessionmaker[Session],
    mine: ConversationStatus | None,
    theirs: ConversationStatus,
    kept: ConversationStatus,
) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        bea = _customer(s, "email", BEA_MAIL)
        if mine is not None:
            s.add(Conversation(customer_id=anna, status=mine))
        s.add(Conversation(customer_id=bea, status=theirs))
    with sessions.begin() as s:
        merge_customers(s, anna, bea, now=NOW)
    with sessions.begin() as s:
        assert status_of(s, anna) is kept
        assert s.scalar(select(func.count()).select_from(Conversation)) == 1


def test_a_customer_is_not_merged_into_themselves(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        with pytest.raises(ValueError):
            merge_customers(s, anna, anna)


# --- unlinking and the log -----------------------------------------------------------------


def test_unlink_keeps_the_facts_and_refuses_the_last_identity(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        bea = _customer(s, "email", BEA_MAIL)
        _fact(s, bea, "comté", "like", "I adore Comté", channel="email")
        _, code = _send_code(s, anna, "email", BEA_MAIL)
    with sessions.begin() as s:
        check_code(s, anna, code, now=NOW)
    with sessions.begin() as s:
        assert not unlink(s, anna, "email", "someone@example.org", by="customer")  # not theirs
        assert not unlink(s, anna, "email", "not an address", by="customer")
        assert unlink(s, anna, "email", "Bea.Martin@EXAMPLE.org", by="customer", now=NOW)
        assert not unlink(s, anna, "web", "anna-session", by="customer")  # the last one
    with sessions.begin() as s:
        doc = export_customer(s, anna)
        alone = resolve_customer(s, "email", BEA_MAIL).id
        alone_doc = export_customer(s, alone)
    assert alone != anna
    assert [(p["subject"], p["channel"]) for p in doc["preferences"]] == [("comté", "email")]
    assert [i["channel"] for i in doc["identities"]] == ["web"]
    assert alone_doc["identities"] == [
        {"channel": "email", "address": "Bea.Martin@example.org", "verified": True}
    ]
    assert (alone_doc["preferences"], alone_doc["habits"], alone_doc["links"]) == ([], [], [])


def test_every_link_and_unlink_is_in_the_export(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        _, code = _send_code(s, anna, "whatsapp", BEA_PHONE)
        check_code(s, anna, code, now=NOW)
        unlink(s, anna, "whatsapp", BEA_PHONE, by="staff:anne", now=NOW + timedelta(hours=1))
        # Linked again: the number is now a customer of its own, merged back in.
        _, code = _send_code(s, anna, "whatsapp", BEA_PHONE, now=NOW + timedelta(hours=2))
        assert check_code(s, anna, code, now=NOW + timedelta(hours=2)).merged_customer
    with sessions.begin() as s:
        links = export_customer(s, anna)["links"]
        assert [(e.action, e.by) for e in link_events(s, anna)] == [
            ("link", "customer"),
            ("unlink", "staff:anne"),
            ("link", "customer"),
        ]
    assert links == [
        {"action": a, "channel": "whatsapp", "address": "33612345678", "by": by, "at": at}
        for a, by, at in [
            ("link", "customer", "2026-12-01T09:00:00Z"),
            ("unlink", "staff:anne", "2026-12-01T10:00:00Z"),
            ("link", "customer", "2026-12-01T11:00:00Z"),
        ]
    ]


def test_erasing_a_customer_erases_their_link_log(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        _, code = _send_code(s, anna, "email", BEA_MAIL)
        check_code(s, anna, code, now=NOW)
    with sessions.begin() as s:
        s.delete(s.get(Customer, anna))
    with sessions.begin() as s:
        assert link_events(s, anna) == []
        assert s.scalar(select(func.count()).select_from(LinkRequest)) == 0


# --- the schema ----------------------------------------------------------------------------


def test_the_models_match_the_migrations(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_the_migration_adds_the_link_tables_and_keeps_the_customers(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    migrate(url, "0002")  # the schema before any feature branch
    engine = make_engine(url)
    assert "link_request" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(text("insert into customer (id, created_at) values ('c1', '2026-01-01')"))
    engine.dispose()
    migrate(url)
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {"link_request", "link_event", "conversation", "email_sent"} <= tables
    engine.dispose()
    # Its own branch: going back removes the link tables and nothing else.
    command.downgrade(alembic_config(url), "0005_linking@-1")
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert "link_request" not in tables and "link_event" not in tables
    assert {"conversation", "email_sent", "preference"} <= tables
    with engine.connect() as conn:
        assert conn.execute(text("select id from customer")).scalars().all() == ["c1"]
    engine.dispose()


# --- PostgreSQL ----------------------------------------------------------------------------


def test_linking_and_merging_on_postgres(postgres_url: str) -> None:
    migrate(postgres_url)
    engine = make_engine(postgres_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        anna = _customer(s, "web", "anna-session")
        _fact(s, anna, "peanuts", "avoid", "allergic to peanuts", at=NOW - timedelta(days=2))
        bea = _bea(s)
        _fact(s, bea, "peanuts", "like", "I love peanuts", at=NOW - timedelta(days=1))
        _, code = _send_code(s, anna, "email", BEA_MAIL)
    with sessions.begin() as s:
        assert check_code(s, anna, _not(code), now=NOW).tries_left == MAX_TRIES - 1
    with sessions.begin() as s:
        result = check_code(s, anna, code, now=NOW)
    with sessions.begin() as s:
        doc = export_customer(s, anna, now=NOW)
        assert s.get(Customer, bea) is None and status_of(s, anna) is ConversationStatus.WAITING
        assert unlink(s, anna, "whatsapp", BEA_PHONE, by="staff:anne", now=NOW)
    with sessions.begin() as s:
        links = export_customer(s, anna)["links"]
    engine.dispose()
    assert (result.outcome, result.merged_customer) == ("linked", bea)
    assert [(c.kept, c.set_aside) for c in result.conflicts] == [("avoid", "like")]
    assert [p["stated"] for p in doc["preferences"]] == ["I adore Comté", "allergic to peanuts"]
    assert sorted(o["offer_id"] for o in doc["offers"]) == ["OFF-2"]
    assert [(e["action"], e["by"]) for e in links] == [
        ("link", "customer"),
        ("unlink", "staff:anne"),
    ]
    assert links[0]["at"] == "2026-12-01T09:00:00Z"
