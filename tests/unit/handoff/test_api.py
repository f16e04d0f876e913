"""The console's API and the conversation state machine, through the real gateway app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from profile_store.db import make_engine, make_sessionmaker
from profile_store.export import export_customer
from profile_store.handoff import HandoffEvent, StaffAccount
from profile_store.repository import find_customer
from tests.unit.handoff.conftest import Gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

MakeGateway = Callable[..., Any]


def _customer_id(gw: Gateway, address: str) -> str:
    engine = make_engine(gw.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            customer = find_customer(session, f"rest:{address}")
            assert customer is not None
            return customer.id
    finally:
        engine.dispose()


def _log(gw: Gateway, customer_id: str) -> list[tuple[str, str, str | None]]:
    """(action, actor, staff username) of the customer's recorded events, in order."""
    engine = make_engine(gw.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            names = {a.id: a.username for a in session.scalars(select(StaffAccount))}
            rows = session.scalars(
                select(HandoffEvent)
                .where(HandoffEvent.customer_id == customer_id)
                .order_by(HandoffEvent.id)
            )
            out = []
            for e in rows:
                assert e.at is not None and e.at.tzinfo is not None
                out.append((e.action, e.actor, names.get(e.staff_id) if e.staff_id else None))
            return out
    finally:
        engine.dispose()


async def _waiting(gw: Gateway, address: str) -> str:
    """A customer who asked for a person: their conversation waits in the queue."""
    replies = await gw.say(address, "human please")
    assert [r.get("text") for r in replies] == ["I'm passing you to a member of our team."]
    assert all("custom" not in r for r in replies), "the hand-over payload is never shown"
    return _customer_id(gw, address)


# --- transitions --------------------------------------------------------------------------


async def test_asking_for_a_person_hands_over_pauses_rasa_and_queues(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "alice")

    assert gw.rasa.appended[customer_id] == [{"event": "pause"}]
    anne = await gw.login("anne")
    queue = await (await anne.get("queue")).json()
    assert [w["customer_id"] for w in queue["waiting"]] == [customer_id]
    assert queue["waiting"][0]["channel"] == "rest"
    assert queue["waiting"][0]["waiting_s"] >= 0
    assert _log(gw, customer_id) == [("hand_over", "bot", None)]


async def test_the_queue_is_oldest_first(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    first = await _waiting(gw, "first")
    await asyncio.sleep(0.01)
    second = await _waiting(gw, "second")
    anne = await gw.login("anne")
    queue = await (await anne.get("queue")).json()
    assert [w["customer_id"] for w in queue["waiting"]] == [first, second]


async def test_outside_opening_hours_the_bot_says_when_staff_are_back(
    make_gateway: MakeGateway,
) -> None:
    # Open one minute a week, on a day that is not today: closed now whatever the date.
    import datetime as dt

    other_day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[
        (dt.datetime.now(dt.UTC).weekday() + 3) % 7
    ]
    gw = await make_gateway(opening_hours=f"{other_day} 09:00-09:01", timezone="UTC")
    replies = await gw.say("night-owl", "human please")
    text = replies[0]["text"]
    assert "closed" in text and "at 09:00" in text, text
    customer_id = _customer_id(gw, "night-owl")
    assert (customer_id, "utter_handing_over_closed") in gw.rasa.executed
    anne = await gw.login("anne")
    queue = await (await anne.get("queue")).json()
    assert [w["customer_id"] for w in queue["waiting"]] == [customer_id], "it waits in the queue"


async def test_while_an_agent_has_it_the_bot_sends_nothing_but_rasa_records_it(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "bob")
    anne = await gw.login("anne")
    assert (await anne.post(f"conversations/{customer_id}/take")).status == 200

    assert await gw.say("bob", "are you there?") == []
    assert gw.rasa.received[-1]["message"] == "are you there?", "Rasa still gets it"


async def test_the_gate_holds_even_when_rasa_forgot_its_pause(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "carl")
    gw.rasa.ignore_pause = True  # e.g. the Rasa session expired and reset the tracker

    assert await gw.say("carl", "hello?") == []
    assert gw.rasa.appended[customer_id][-1] == {"event": "pause"}, "paused again"


async def test_a_reply_goes_out_on_the_customers_channel_with_the_first_name(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "dora")
    anne = await gw.login("anne")
    await anne.post(f"conversations/{customer_id}/take")

    response = await anne.post(f"conversations/{customer_id}/reply", {"text": "Hi Dora!"})

    assert response.status == 200, await response.text()
    assert gw.delivered[-1] == ("rest", "dora", [{"text": "Anne (staff): Hi Dora!"}])
    bot_event = gw.rasa.appended[customer_id][-1]
    assert bot_event["event"] == "bot" and bot_event["text"] == "Anne (staff): Hi Dora!"
    assert bot_event["metadata"]["agent"] == "anne"
    assert ("reply", "staff", "anne") in _log(gw, customer_id)


async def test_hand_back_resumes_rasa_and_the_bot_says_it_is_back(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "emma")
    anne = await gw.login("anne")
    await anne.post(f"conversations/{customer_id}/take")

    response = await anne.post(f"conversations/{customer_id}/hand_back")

    assert (await response.json())["status"] == "bot"
    assert gw.rasa.appended[customer_id][-2:] == [
        {"event": "resume"},
        {"event": "action", "name": "action_listen"},
    ]
    assert (customer_id, "utter_bot_back") in gw.rasa.executed
    assert gw.delivered[-1] == (
        "rest",
        "emma",
        [{"recipient_id": customer_id, "text": "I'm back!"}],
    )
    assert await gw.say("emma", "thanks") == [
        {"recipient_id": "emma", "text": "bot answers: thanks"}
    ]
    assert [a for a, _, _ in _log(gw, customer_id)] == ["hand_over", "take", "hand_back"]


async def test_staff_can_take_over_a_conversation_the_bot_is_having(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    await gw.say("fred", "hello")
    customer_id = _customer_id(gw, "fred")
    anne = await gw.login("anne")
    queue = await (await anne.get("queue")).json()
    assert customer_id in [a["customer_id"] for a in queue["active"]]

    response = await anne.post(f"conversations/{customer_id}/take")

    assert (await response.json())["status"] == "agent"
    assert gw.rasa.appended[customer_id] == [{"event": "pause"}]
    assert await gw.say("fred", "hello again") == []


async def test_close_then_the_customer_writes_again_and_the_bot_answers(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "gina")
    anne = await gw.login("anne")
    await anne.post(f"conversations/{customer_id}/take")

    assert (await (await anne.post(f"conversations/{customer_id}/close")).json())[
        "status"
    ] == "closed"
    assert gw.rasa.appended[customer_id][-1] == {"event": "resume"}
    assert await gw.say("gina", "one more thing") == [
        {"recipient_id": "gina", "text": "bot answers: one more thing"}
    ]
    assert [a for a, _, _ in _log(gw, customer_id)] == ["hand_over", "take", "close", "reopen"]


# --- refusals -------------------------------------------------------------------------------


async def test_taking_a_taken_conversation_is_refused(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "hugo")
    anne, bruno = await gw.login("anne"), await gw.login("bruno")
    await anne.post(f"conversations/{customer_id}/take")

    response = await bruno.post(f"conversations/{customer_id}/take")

    assert response.status == 409
    body = await response.json()
    assert body["code"] == "already_taken" and "Anne" in body["error"]


async def test_two_agents_taking_at_once_only_one_gets_it(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "ines")
    anne, bruno = await gw.login("anne"), await gw.login("bruno")

    responses = await asyncio.gather(
        anne.post(f"conversations/{customer_id}/take"),
        bruno.post(f"conversations/{customer_id}/take"),
    )

    assert sorted(r.status for r in responses) == [200, 409]


async def test_replying_without_a_login_is_refused(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "jack")

    response = await gw.client.post(
        f"/console/api/conversations/{customer_id}/reply", json={"text": "hi"}
    )

    assert response.status == 401
    assert gw.delivered == []


async def test_a_wrong_password_is_refused(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    response = await gw.client.post(
        "/console/api/login", json={"username": "anne", "password": "not the password"}
    )
    assert response.status == 401
    response = await gw.client.post(
        "/console/api/login", json={"username": "nobody", "password": "whatever-long"}
    )
    assert response.status == 401


async def test_a_state_change_without_the_csrf_token_is_refused(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "kim")
    anne = await gw.login("anne")

    no_token = await anne.client.post(f"/console/api/conversations/{customer_id}/take")
    wrong = await anne.client.post(
        f"/console/api/conversations/{customer_id}/take", headers={"X-CSRF-Token": "forged"}
    )
    foreign = await anne.client.post(
        f"/console/api/conversations/{customer_id}/take",
        headers={"X-CSRF-Token": anne.csrf, "Origin": "https://evil.example"},
    )

    assert [no_token.status, wrong.status, foreign.status] == [403, 403, 403]


async def test_the_session_cookie_is_httponly_and_samesite_strict(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    response = await gw.client.post(
        "/console/api/login", json={"username": "anne", "password": "correct horse battery"}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie


async def test_replying_to_a_closed_conversation_is_refused(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "lena")
    anne = await gw.login("anne")
    await anne.post(f"conversations/{customer_id}/take")
    await anne.post(f"conversations/{customer_id}/close")

    response = await anne.post(f"conversations/{customer_id}/reply", {"text": "still there?"})

    assert response.status == 409
    assert (await response.json())["code"] == "closed"
    assert gw.delivered == []


async def test_replying_to_a_conversation_not_taken_or_someone_elses_is_refused(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "max")
    anne, bruno = await gw.login("anne"), await gw.login("bruno")

    not_taken = await anne.post(f"conversations/{customer_id}/reply", {"text": "hi"})
    await anne.post(f"conversations/{customer_id}/take")
    not_yours = await bruno.post(f"conversations/{customer_id}/reply", {"text": "hi"})
    hand_back_not_yours = await bruno.post(f"conversations/{customer_id}/hand_back")

    assert (await not_taken.json())["code"] == "not_taken"
    assert (await not_yours.json())["code"] == "not_yours"
    assert (await hand_back_not_yours.json())["code"] == "not_yours"


async def test_handing_back_a_bot_conversation_is_refused(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    await gw.say("nora", "hello")
    anne = await gw.login("anne")

    response = await anne.post(f"conversations/{_customer_id(gw, 'nora')}/hand_back")

    assert response.status == 409
    assert (await response.json())["code"] == "not_allowed"


# --- profile beside it --------------------------------------------------------------------


async def test_staff_add_and_correct_a_fact_marked_as_staff_entered(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "olga")
    anne = await gw.login("anne")

    await anne.post(
        f"conversations/{customer_id}/facts",
        {"subject": "Comté", "polarity": "like", "stated": "She loves Comté (phone call)"},
    )
    response = await anne.post(
        f"conversations/{customer_id}/facts",
        {"subject": "comté", "polarity": "avoid", "reason": "diet", "stated": "No cheese now"},
    )

    assert response.status == 200
    conversation = await (await anne.get(f"conversations/{customer_id}")).json()
    prefs = conversation["profile"]["preferences"]
    assert [(p["subject"], p["polarity"], p["channel"]) for p in prefs] == [
        ("comté", "avoid", "staff")
    ], "the correction supersedes the first fact"
    engine = make_engine(gw.database_url)
    with make_sessionmaker(engine)() as session:
        assert export_customer(session, customer_id)["preferences"][0]["stated"] == "No cheese now"
    engine.dispose()
    assert [x for x in _log(gw, customer_id) if x[0] == "fact"] == [
        ("fact", "staff", "anne"),
        ("fact", "staff", "anne"),
    ]


async def test_a_bad_fact_is_refused(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "paul")
    anne = await gw.login("anne")
    response = await anne.post(
        f"conversations/{customer_id}/facts", {"subject": "x", "polarity": "adore", "stated": "y"}
    )
    assert response.status == 400


# --- escaping -----------------------------------------------------------------------------


async def test_customer_text_reaches_the_console_as_data_never_as_markup(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    customer_id = await _waiting(gw, "quinn")
    anne = await gw.login("anne")
    await anne.post(f"conversations/{customer_id}/take")
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    await gw.say("quinn", hostile)

    response = await anne.get(f"conversations/{customer_id}")

    assert response.content_type == "application/json"
    lines = (await response.json())["transcript"]
    assert lines[-1] == {"from": "customer", "text": hostile, "channel": "rest", "at": None}
    page = await anne.client.get("/console")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


async def test_the_console_script_never_writes_markup() -> None:
    from channels.console import STATIC_DIR

    script = (STATIC_DIR / "console.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert "textContent" in script


# --- live transcript ------------------------------------------------------------------------


async def test_the_console_websocket_streams_the_conversation_live(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    anne = await gw.login("anne")
    ws = await anne.client.ws_connect("/console/ws")
    await gw.say("rosa", "hello")

    first = await ws.receive_json(timeout=5)
    second = await ws.receive_json(timeout=5)

    assert (first["type"], first["from"], first["text"]) == ("message", "customer", "hello")
    assert (second["from"], second["text"]) == ("bot", "bot answers: hello")
    await ws.close()


async def test_the_console_websocket_needs_a_login(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    response = await gw.client.get("/console/ws")
    assert response.status == 401
