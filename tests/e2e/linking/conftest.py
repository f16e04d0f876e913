"""Linking channels end to end: one real stack with web chat, WhatsApp (Meta played by the Graph
API stand-in) and email (a local smarthost receives what the shop sends)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rapport.stack import Stack
from tests.e2e.conftest import running_stack
from tests.e2e.email.conftest import SHOP
from tests.e2e.email.servers import Smarthost, free_port
from tests.e2e.whatsapp import meta
from tests.e2e.whatsapp.conftest import Meta
from tests.e2e.whatsapp.standin import GraphStandIn, StandInThread


@pytest.fixture(scope="session")
def link_graph() -> Iterator[GraphStandIn]:
    standin = GraphStandIn(access_token=meta.ACCESS_TOKEN, phone_number_id=meta.PHONE_NUMBER_ID)
    server = StandInThread(standin).start()
    standin.base_url = server.base_url  # type: ignore[attr-defined]
    try:
        yield standin
    finally:
        server.stop()


@pytest.fixture(scope="session")
def link_mail() -> Iterator[Smarthost]:
    host = Smarthost().start()
    try:
        yield host
    finally:
        host.stop()


@pytest.fixture(scope="session")
def link_stack(link_graph: GraphStandIn, link_mail: Smarthost) -> Iterator[Stack]:
    env = {
        "WHATSAPP_PHONE_NUMBER_ID": meta.PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": meta.ACCESS_TOKEN,
        "WHATSAPP_APP_SECRET": meta.APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": meta.VERIFY_TOKEN,
        "WHATSAPP_API_BASE": link_graph.base_url,  # type: ignore[attr-defined]
        "RAPPORT_EMAIL_ADDRESS": SHOP,
        "RAPPORT_SMTP_LISTEN_HOST": "127.0.0.1",
        "RAPPORT_SMTP_LISTEN_PORT": str(free_port()),
        "RAPPORT_SMTP_RELAY_HOST": "127.0.0.1",
        "RAPPORT_SMTP_RELAY_PORT": str(link_mail.port),
        "RAPPORT_SMTP_RELAY_STARTTLS": "false",
    }
    with running_stack("linking", env) as running:
        yield running


@pytest.fixture
def link_meta(link_stack: Stack, link_graph: GraphStandIn) -> Meta:
    return Meta(link_stack, link_graph)
