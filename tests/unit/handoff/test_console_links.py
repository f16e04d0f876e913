"""Staff detaching one of a customer's identities from the console (they can never link one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from profile_store.db import make_engine, make_sessionmaker
from profile_store.export import export_customer
from profile_store.linking import link_events
from profile_store.models import Identity
from profile_store.repository import find_customer
from tests.unit.handoff.conftest import Gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

MakeGateway = Callable[..., Any]
EMAIL = "alice@example.com"


def _customer_id(gw: Gateway, ref: str) -> str:
    engine = make_engine(gw.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            customer = find_customer(session, ref)
            assert customer is not None, ref
            return customer.id
    finally:
        engine.dispose()


def _with_email(gw: Gateway, customer_id: str, address: str = EMAIL) -> None:
    """A second identity, as if the customer had linked it with a code."""
    engine = make_engine(gw.database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            session.add(Identity(customer_id=customer_id, channel="email", address=address))
    finally:
        engine.dispose()


def _export(gw: Gateway, customer_id: str) -> dict[str, Any]:
    engine = make_engine(gw.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return export_customer(session, customer_id)
    finally:
        engine.dispose()


async def _two_identities(gw: Gateway, sender: str) -> str:
    """A customer who talked over REST and has an email address linked too."""
    await gw.say(sender, "hello")
    customer_id = _customer_id(gw, f"rest:{sender}")
    _with_email(gw, customer_id)
    return customer_id


async def test_staff_unlink_an_identity_into_a_customer_of_its_own(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    customer_id = await _two_identities(gw, "alice")
    anne = await gw.login("anne")
    await anne.post(
        f"conversations/{customer_id}/facts",
        {"subject": "walnuts", "polarity": "avoid", "reason": "allergy", "stated": "No walnuts"},
    )

    response = await anne.post(
        f"conversations/{customer_id}/unlink", {"channel": "email", "address": EMAIL}
    )

    assert response.status == 200, await response.text()
    profile = await response.json()
    assert [(i["channel"], i["address"]) for i in profile["identities"]] == [("rest", "alice")]
    assert [p["subject"] for p in profile["preferences"]] == ["walnuts"], "the facts stay"
    [event] = [e for e in profile["links"] if e["action"] == "unlink"]
    assert (event["channel"], event["address"], event["by"]) == ("email", EMAIL, "staff:anne")
    detached = _customer_id(gw, f"email:{EMAIL}")
    assert detached != customer_id
    assert _export(gw, detached)["preferences"] == []
    engine = make_engine(gw.database_url)
    with make_sessionmaker(engine)() as session:
        logged = [(e.action, e.channel, e.address, e.by) for e in link_events(session, customer_id)]
    engine.dispose()
    assert ("unlink", "email", EMAIL, "staff:anne") in logged
    conversation = await (await anne.get(f"conversations/{customer_id}")).json()
    assert conversation["profile"] == profile, "the console shows what the answer said"


async def test_the_console_hears_that_the_profile_changed(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    customer_id = await _two_identities(gw, "bea")
    anne = await gw.login("anne")
    ws = await anne.client.ws_connect("/console/ws")

    await anne.post(f"conversations/{customer_id}/unlink", {"channel": "email", "address": EMAIL})

    assert await ws.receive_json(timeout=5) == {"type": "profile", "customer_id": customer_id}
    await ws.close()


async def test_the_last_identity_cannot_be_unlinked(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    await gw.say("carl", "hello")
    customer_id = _customer_id(gw, "rest:carl")
    anne = await gw.login("anne")

    response = await anne.post(
        f"conversations/{customer_id}/unlink", {"channel": "rest", "address": "carl"}
    )

    assert response.status == 409
    assert (await response.json())["code"] == "last_identity"
    assert [i["address"] for i in _export(gw, customer_id)["identities"]] == ["carl"]
    engine = make_engine(gw.database_url)
    with make_sessionmaker(engine)() as session:
        assert link_events(session, customer_id) == []
    engine.dispose()


async def test_an_identity_of_someone_else_is_not_unlinked(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    customer_id = await _two_identities(gw, "dora")
    await gw.say("eric", "hello")
    anne = await gw.login("anne")

    response = await anne.post(
        f"conversations/{customer_id}/unlink", {"channel": "rest", "address": "eric"}
    )

    assert response.status == 404
    assert (await response.json())["code"] == "unknown_identity"
    assert _customer_id(gw, "rest:eric") != customer_id
    assert len(_export(gw, customer_id)["identities"]) == 2


async def test_unlinking_for_an_unknown_customer_is_404(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    anne = await gw.login("anne")

    response = await anne.post(
        "conversations/no-such-customer/unlink", {"channel": "email", "address": EMAIL}
    )

    assert response.status == 404
    assert (await response.json())["code"] == "unknown_customer"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"channel": "email"},
        {"address": EMAIL},
        {"channel": " ", "address": EMAIL},
        {"channel": "email", "address": 42},
        {"channel": ["email"], "address": EMAIL},
    ],
)
async def test_a_bad_unlink_body_is_refused(make_gateway: MakeGateway, body: Any) -> None:
    gw = await make_gateway()
    customer_id = await _two_identities(gw, "fred")
    anne = await gw.login("anne")

    response = await anne.post(f"conversations/{customer_id}/unlink", body)

    assert response.status == 400
    answer = await response.json()
    assert answer["code"] == "invalid_body" and answer["error"]
    assert len(_export(gw, customer_id)["identities"]) == 2


async def test_an_unlink_body_that_is_not_json_is_refused(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    customer_id = await _two_identities(gw, "gina")
    anne = await gw.login("anne")

    response = await anne.client.post(
        f"/console/api/conversations/{customer_id}/unlink",
        data="channel=email",
        headers={"X-CSRF-Token": anne.csrf},
    )

    assert response.status == 400
    assert (await response.json())["code"] == "invalid_body"


async def test_unlinking_needs_a_login_and_the_csrf_token(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    customer_id = await _two_identities(gw, "hugo")
    anne = await gw.login("anne")
    path = f"/console/api/conversations/{customer_id}/unlink"
    body = {"channel": "email", "address": EMAIL}

    anonymous = await gw.client.post(path, json=body)
    no_token = await anne.client.post(path, json=body)
    foreign = await anne.client.post(
        path, json=body, headers={"X-CSRF-Token": anne.csrf, "Origin": "https://evil.example"}
    )

    assert [anonymous.status, no_token.status, foreign.status] == [401, 403, 403]
    assert len(_export(gw, customer_id)["identities"]) == 2


async def test_the_console_has_no_way_to_link(make_gateway: MakeGateway) -> None:
    from channels.console import STATIC_DIR

    gw = await make_gateway()
    customer_id = await _two_identities(gw, "ines")
    anne = await gw.login("anne")

    response = await anne.post(
        f"conversations/{customer_id}/link", {"channel": "email", "address": "x@example.com"}
    )

    assert response.status in (404, 405)
    script = (STATIC_DIR / "console.js").read_text()
    assert '"unlink"' in script and '"link"' not in script and "/link" not in script
