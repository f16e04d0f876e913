"""Two Rasa replicas and two gateways behind HAProxy, on PostgreSQL and Redis: one conversation
per customer whichever replica answers, a replica killed under way loses nobody, and staff on
one gateway reach a customer whose chat is open on the other."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from sqlalchemy import text

from profile_store.db import make_engine
from rapport.cluster import requests_per_replica
from rapport.processes import HAPROXY
from rapport.stack import Stack
from tests.e2e.conftest import (
    STAFF,
    WebChatCustomer,
    add_staff,
    export_profile,
    running_stack,
    texts,
)
from tests.e2e.handoff.test_handoff import _customer_id as customer_of
from tests.e2e.postgres import fresh_database, postgres_admin

pytestmark = pytest.mark.e2e

REDIS = os.environ.get("RAPPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
RABBITMQ = os.environ.get("RAPPORT_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), 2):
            return True
    except OSError:
        return False


def redis_reachable(url: str) -> bool:
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 6379)), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def cluster() -> Iterator[Stack]:
    if not redis_reachable(REDIS):
        pytest.skip(f"Redis not reachable at {REDIS}")
    if not reachable(RABBITMQ):
        pytest.skip(f"RabbitMQ not reachable at {RABBITMQ}")
    if not Path(HAPROXY).exists():
        pytest.skip(f"HAProxy not installed ({HAPROXY}): apt-get install haproxy")
    with (
        postgres_admin() as admin,
        fresh_database(admin, "profile") as profile_url,
        fresh_database(admin, "tracker") as tracker_url,
        running_stack(
            "cluster",
            database_url=profile_url,
            tracker_db_url=tracker_url,
            rasa_replicas=2,
            gateway_replicas=2,
            redis_url=REDIS,
            rabbitmq_url=RABBITMQ,
        ) as running,
    ):
        yield running


async def say(stack: Stack, sender: str, text: str) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            stack.rest_url, json={"sender": sender, "message": text}, headers=stack.rest_headers()
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return list(await resp.json())


def said(replies: list[dict[str, Any]]) -> str:
    return " ".join(str(r.get("text", "")) for r in replies)


async def tell(stack: Stack, sender: str, text: str) -> None:
    replies = await say(stack, sender, text)
    if "just to be sure" in said(replies).lower():
        await say(stack, sender, "yes")


async def test_customers_talking_at_once_each_keep_one_conversation(cluster: Stack) -> None:
    assert cluster.rasa_cluster is not None and len(cluster.rasa_cluster.replica_ports) == 2

    async def customer(n: int) -> str:
        sender = f"cluster-{n}"
        await tell(cluster, sender, "I love Comté")
        await tell(cluster, sender, "I'm allergic to walnuts")
        return said(await say(cluster, sender, "what do you know about me?"))

    answers = await asyncio.gather(*(customer(n) for n in range(6)))
    for answer in answers:
        assert "Comté" in answer and "walnut" in answer.lower(), answer
    # Both replicas worked, as the balancer counts them.
    stat = cluster.balancer_stat()
    served = requests_per_replica(stat)
    assert all(served[r] >= 5 for r in ("rasa1", "rasa2", "gateway1", "gateway2")), stat
    profile = export_profile(cluster, "rest:cluster-0")
    assert {p["subject"] for p in profile["preferences"]} >= {"Comté", "walnuts"}


async def test_a_replica_killed_mid_conversation_loses_nothing(cluster: Stack) -> None:
    sender = "cluster-survivor"
    await tell(cluster, sender, "I love smoked salmon")
    victim = cluster.processes["rasa-1"]
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    # The balancer sends what the dead replica would have had to the living one.
    await tell(cluster, sender, "my husband can't stand rabbit")
    answer = said(await say(cluster, sender, "what do you know about me?"))
    assert "smoked salmon" in answer.lower() and "rabbit" in answer.lower(), answer


async def test_staff_on_one_gateway_answer_a_customer_chatting_on_the_other(
    cluster: Stack,
) -> None:
    assert cluster.gateway_cluster is not None
    first, second = (f"http://127.0.0.1:{p}" for p in cluster.gateway_cluster.replica_ports)
    add_staff(cluster, *STAFF[:2], STAFF[2])
    customer = WebChatCustomer(first)
    await customer.connect()
    try:
        await customer.tell("I love Comté")
        assert customer.session_id is not None
        customer_id = customer_of(cluster, customer.session_id)
        async with aiohttp.ClientSession() as http:
            login = await http.post(
                f"{second}/console/api/login",
                json={"username": STAFF[0], "password": STAFF[2]},
            )
            assert login.status == 200, await login.text()
            csrf = (await login.json())["csrf"]
            cookie = {"Cookie": f"rapport_staff={login.cookies['rapport_staff'].value}"}
            # Logged in on the second gateway is logged in on the first too.
            me = await http.get(f"{first}/console/api/me", headers=cookie)
            assert me.status == 200 and (await me.json())["username"] == STAFF[0]
            state = {**cookie, "X-CSRF-Token": csrf, "Origin": second}
            base = f"{second}/console/api/conversations/{customer_id}"
            took = await http.post(f"{base}/take", headers=state, json={})
            assert took.status == 200, await took.text()
            sent = await http.post(f"{base}/reply", headers=state, json={"text": "Hello from Anne"})
            assert sent.status == 200, await sent.text()
        heard = texts(await customer.replies(timeout_s=20))
        assert "Hello from Anne" in heard, heard
    finally:
        await customer.close()


async def test_what_happened_is_kept_from_rasas_events_without_the_customers_words(
    cluster: Stack,
) -> None:
    sender = "cluster-figures"
    await tell(cluster, sender, "I love Comté")
    await say(cluster, sender, "any offers for me?")
    customer_id = export_profile(cluster, f"rest:{sender}")["customer"]["id"]
    engine = make_engine(cluster.database_url)
    try:
        rows: list[Any] = []
        for _ in range(60):  # the consumer takes them from RabbitMQ as they come
            with engine.connect() as conn:
                rows = list(
                    conn.execute(
                        text(
                            "select kind, name, channel from analytics_event "
                            "where customer_id = :c order by at, id"
                        ),
                        {"c": customer_id},
                    )
                )
            seen = {(r.kind, r.name) for r in rows}
            # Events are taken several at a time and committed as each is done: wait for all.
            if {
                ("user", "share_taste"),
                ("user", "ask_offers"),
                ("action", "action_offer"),
            } <= seen:
                break
            await asyncio.sleep(0.5)
        understood = [r.name for r in rows if r.kind == "user"]
        consumer = cluster.log("events").read_text()[-2000:]
        assert "share_taste" in understood and "ask_offers" in understood, (rows, consumer)
        assert ("action", "action_offer") in [(r.kind, r.name) for r in rows], rows
        assert any(r.kind == "bot" for r in rows)
    finally:
        engine.dispose()
