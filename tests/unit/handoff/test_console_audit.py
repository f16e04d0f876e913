"""The access audit: every staff view, change, export and erasure of a profile is logged (who,
when, which customer) and shown in the console; staff erase a customer from the console."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from channels.console import STATIC_DIR
from profile_store.audit import AuditAction, StaffAudit, accesses_of, latest_audit, record_access
from profile_store.db import make_engine, make_sessionmaker
from profile_store.linking import merge_customers
from profile_store.models import Customer, Identity
from profile_store.privacy import ErasureAudit, customer_hash
from profile_store.repository import find_customer, resolve_customer
from rapport import cli
from tests.unit.handoff.conftest import Gateway
from tests.unit.profile_store.test_erasure import RASA_EVENTS, create_rasa_tracker, dump_profile

MakeGateway = Callable[..., Any]
KEY = "unit-test-suppression-key"
EMAIL = "alice@example.com"


def _sessions(gw: Gateway) -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(gw.database_url))


def _customer_id(gw: Gateway, ref: str) -> str:
    with _sessions(gw)() as session:
        customer = find_customer(session, ref)
        assert customer is not None, ref
        return customer.id


def _accesses(gw: Gateway, customer_id: str) -> list[tuple[str, str]]:
    with _sessions(gw)() as session:
        return [(a.by, a.action) for a in accesses_of(session, customer_id)]


async def _erasable_gateway(make_gateway: MakeGateway, tmp_path: Path) -> tuple[Gateway, str]:
    """A gateway whose tracker database is a file of the test's own (never var/tracker.db)."""
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    gw = await make_gateway(tracker_db_url=tracker_url, suppression_key=KEY)
    return gw, tracker_url


# --- who looked, who changed ------------------------------------------------------------------


async def test_viewing_a_conversation_logs_who_viewed_the_profile(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    await gw.say("alice", "hello")
    customer_id = _customer_id(gw, "rest:alice")
    anne, bruno = await gw.login("anne"), await gw.login("bruno")

    assert (await anne.get(f"conversations/{customer_id}")).status == 200
    assert (await bruno.get(f"conversations/{customer_id}")).status == 200

    assert _accesses(gw, customer_id) == [
        ("staff:anne", "view_profile"),
        ("staff:bruno", "view_profile"),
    ]


async def test_a_view_of_an_unknown_customer_or_without_login_logs_nothing(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    await gw.say("bea", "hello")
    customer_id = _customer_id(gw, "rest:bea")
    anne = await gw.login("anne")

    assert (await anne.get("conversations/no-such-customer")).status == 404
    assert (await gw.client.get(f"/console/api/conversations/{customer_id}")).status == 401

    with _sessions(gw)() as session:
        assert session.scalars(select(StaffAudit)).all() == []


async def test_adding_a_fact_and_unlinking_are_logged(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    await gw.say("carl", "hello")
    customer_id = _customer_id(gw, "rest:carl")
    with _sessions(gw).begin() as session:
        session.add(Identity(customer_id=customer_id, channel="email", address=EMAIL))
    anne = await gw.login("anne")

    fact = await anne.post(
        f"conversations/{customer_id}/facts",
        {"subject": "walnuts", "polarity": "avoid", "reason": "allergy", "stated": "No walnuts"},
    )
    unlinked = await anne.post(
        f"conversations/{customer_id}/unlink", {"channel": "email", "address": EMAIL}
    )
    refused = await anne.post(
        f"conversations/{customer_id}/unlink", {"channel": "rest", "address": "carl"}
    )

    assert [fact.status, unlinked.status, refused.status] == [200, 200, 409]
    assert _accesses(gw, customer_id) == [("staff:anne", "add_fact"), ("staff:anne", "unlink")]


async def test_an_invalid_fact_is_not_logged(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    await gw.say("dora", "hello")
    customer_id = _customer_id(gw, "rest:dora")
    anne = await gw.login("anne")

    response = await anne.post(
        f"conversations/{customer_id}/facts", {"subject": "", "polarity": "like", "stated": "x"}
    )

    assert response.status == 400
    assert _accesses(gw, customer_id) == []


# --- erasure from the console -------------------------------------------------------------


async def test_staff_erase_a_customer_and_everything_about_them(
    make_gateway: MakeGateway, tmp_path: Path
) -> None:
    gw, tracker_url = await _erasable_gateway(make_gateway, tmp_path)
    await gw.say("erin", "I love smoked duck")
    await gw.say("frank", "hello")
    customer_id = _customer_id(gw, "rest:erin")
    other_id = _customer_id(gw, "rest:frank")
    tracker = create_engine(tracker_url)
    create_rasa_tracker(tracker)
    with tracker.begin() as conn:
        conn.execute(
            insert(RASA_EVENTS),
            [
                {"sender_id": customer_id, "type_name": "user", "data": "I love smoked duck"},
                {"sender_id": other_id, "type_name": "user", "data": "hello"},
            ],
        )
    anne, bruno = await gw.login("anne"), await gw.login("bruno")
    ws = await bruno.client.ws_connect("/console/ws")
    await anne.get(f"conversations/{customer_id}")
    await anne.post(
        f"conversations/{customer_id}/facts",
        {"subject": "smoked duck", "polarity": "like", "stated": "I love smoked duck"},
    )
    await anne.get(f"conversations/{other_id}")

    response = await anne.post(f"conversations/{customer_id}/erase", {"confirm": customer_id})

    assert response.status == 200, await response.text()
    assert await response.json() == {"erased": True}
    while (event := await ws.receive_json(timeout=5))["type"] != "erased":
        pass  # the fact's profile event comes first
    assert event == {"type": "erased", "customer_id": customer_id}
    await ws.close()
    with _sessions(gw)() as session:
        assert session.get(Customer, customer_id) is None
        leftovers = {
            table: rows
            for table, rows in dump_profile(session).items()
            if customer_id in rows or "erin" in rows or "smoked duck" in rows
        }
        assert leftovers == {}, "the customer's views went with them"
        [erasure] = session.scalars(select(ErasureAudit)).all()
        assert (erasure.by, erasure.customer_hash) == (
            "staff:anne",
            customer_hash(KEY, customer_id),
        )
        # Somebody else's lines stay.
        assert [(a.by, a.action) for a in accesses_of(session, other_id)] == [
            ("staff:anne", "view_profile")
        ]
    with tracker.connect() as conn:
        assert [r.sender_id for r in conn.execute(select(RASA_EVENTS))] == [other_id]
    tracker.dispose()
    assert (await anne.get(f"conversations/{customer_id}")).status == 404
    queue = await (await anne.get("queue")).json()
    assert customer_id not in str(queue)
    audit = await (await anne.get("audit")).json()
    assert customer_id not in str(audit), "the audit names an erased customer only by hash"
    assert audit["lines"][0] == {
        "at": audit["lines"][0]["at"],
        "by": "staff:anne",
        "action": "erase",
        "customer_id": None,
        "customer_name": None,
        "customer_hash": customer_hash(KEY, customer_id),
    }


@pytest.mark.parametrize(
    "body",
    [{}, {"confirm": ""}, {"confirm": "someone-else"}, {"confirm": 42}, {"confirm": [None]}],
)
async def test_erasure_needs_the_customer_id_as_confirmation(
    make_gateway: MakeGateway, tmp_path: Path, body: dict[str, Any]
) -> None:
    gw, _ = await _erasable_gateway(make_gateway, tmp_path)
    await gw.say("gina", "hello")
    customer_id = _customer_id(gw, "rest:gina")
    anne = await gw.login("anne")

    response = await anne.post(f"conversations/{customer_id}/erase", body)

    assert response.status == 400
    assert (await response.json())["code"] in {"not_confirmed", "invalid_body"}
    with _sessions(gw)() as session:
        assert session.get(Customer, customer_id) is not None
        assert session.scalars(select(ErasureAudit)).all() == []


async def test_erasing_an_unknown_customer_is_404(
    make_gateway: MakeGateway, tmp_path: Path
) -> None:
    gw, _ = await _erasable_gateway(make_gateway, tmp_path)
    anne = await gw.login("anne")

    response = await anne.post("conversations/nobody/erase", {"confirm": "nobody"})

    assert response.status == 404
    assert (await response.json())["code"] == "unknown_customer"


async def test_erasing_needs_a_login_and_the_csrf_token(
    make_gateway: MakeGateway, tmp_path: Path
) -> None:
    gw, _ = await _erasable_gateway(make_gateway, tmp_path)
    await gw.say("hugo", "hello")
    customer_id = _customer_id(gw, "rest:hugo")
    anne = await gw.login("anne")
    path = f"/console/api/conversations/{customer_id}/erase"
    body = {"confirm": customer_id}

    anonymous = await gw.client.post(path, json=body)
    no_token = await anne.client.post(path, json=body)
    foreign = await anne.client.post(
        path, json=body, headers={"X-CSRF-Token": anne.csrf, "Origin": "https://evil.example"}
    )

    assert [anonymous.status, no_token.status, foreign.status] == [401, 403, 403]
    with _sessions(gw)() as session:
        assert session.get(Customer, customer_id) is not None


# --- the audit in the console ---------------------------------------------------------------


async def test_the_audit_needs_a_login(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()

    response = await gw.client.get("/console/api/audit")

    assert response.status == 401
    assert (await response.json())["code"] == "login_required"


async def test_the_audit_lists_who_did_what_to_whom_newest_first(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    await gw.say("ines", "hello")
    customer_id = _customer_id(gw, "rest:ines")
    with _sessions(gw).begin() as session:
        session.get_one(Customer, customer_id).name = "Ines <b>"
    anne, bruno = await gw.login("anne"), await gw.login("bruno")
    await anne.get(f"conversations/{customer_id}")
    await bruno.post(
        f"conversations/{customer_id}/facts",
        {"subject": "figs", "polarity": "like", "stated": "figs!"},
    )

    audit = await (await anne.get("audit")).json()

    assert [(line["by"], line["action"]) for line in audit["lines"]] == [
        ("staff:bruno", "add_fact"),
        ("staff:anne", "view_profile"),
    ]
    assert {line["customer_id"] for line in audit["lines"]} == {customer_id}
    assert {line["customer_name"] for line in audit["lines"]} == {"Ines <b>"}
    assert all(datetime.fromisoformat(line["at"]).tzinfo for line in audit["lines"])


def test_the_latest_audit_is_capped_and_merges_erasures(sessions: sessionmaker[Session]) -> None:
    start = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    with sessions.begin() as s:
        cid = resolve_customer(s, "rest", "jo").id
        for minute in range(5):
            record_access(
                s,
                cid,
                AuditAction.VIEW_PROFILE,
                by="staff:anne",
                at=start + timedelta(minutes=minute),
            )
        erased_at = start + timedelta(minutes=2, seconds=30)
        s.add(ErasureAudit(customer_hash="h" * 64, by="customer", at=erased_at))

    with sessions() as s:
        lines = latest_audit(s, limit=4)

    assert [(line.action, line.at.minute) for line in lines] == [
        ("view_profile", 4),
        ("view_profile", 3),
        ("erase", 2),
        ("view_profile", 2),
    ]
    with pytest.raises(ValueError), sessions.begin() as s:
        record_access(s, cid, AuditAction.ERASE, by="staff:anne")


def test_a_merge_keeps_the_lines_of_the_customer_merged_away(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        into = resolve_customer(s, "rest", "kim").id
        merged = resolve_customer(s, "email", "kim@example.com").id
        record_access(s, merged, AuditAction.VIEW_PROFILE, by="staff:anne")
    with sessions.begin() as s:
        merge_customers(s, into, merged)
    with sessions() as s:
        assert [(a.by, a.action) for a in accesses_of(s, into)] == [("staff:anne", "view_profile")]


def test_the_console_puts_audit_lines_on_the_page_as_text() -> None:
    script = (STATIC_DIR / "console.js").read_text()
    assert "/console/api/audit" in script and "/erase" in script
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "window.confirm" in script.split('$("erase")', 1)[1]


# --- the CLI --------------------------------------------------------------------------------


def test_a_cli_export_is_logged(
    sessions: sessionmaker[Session],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with sessions.begin() as s:
        cid = resolve_customer(s, "email", EMAIL).id
    monkeypatch.setenv("RAPPORT_DATABASE_URL", database_url)
    monkeypatch.setenv("RAPPORT_SESSION_SECRET", "unit-test")
    monkeypatch.setattr(cli, "_login", lambda: "marie")

    assert cli.main(["profile", "export", f"email:{EMAIL}"]) == 0
    assert cli.main(["profile", "export", "email:nobody@example.com"]) == 1

    assert cid in capsys.readouterr().out
    with sessions() as s:
        assert [(a.by, a.action) for a in accesses_of(s, cid)] == [("cli:marie", "export")]
        assert len(s.scalars(select(StaffAudit)).all()) == 1
