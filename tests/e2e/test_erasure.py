"""The right to erasure on the real stack: a customer talks on the web chat and over REST (the two
joined into one customer, as a link does), is erased with the CLI, and afterwards not one byte of
their ids, addresses or words is left in the profile store nor in Rasa's tracker store: SQLite
files searched byte for byte, then both stores on PostgreSQL searched row by row."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import create_engine, text

from channels.webchat import web_address
from profile_store.db import make_engine, make_sessionmaker
from profile_store.linking import merge_customers
from profile_store.repository import find_customer
from rapport.settings import ROOT
from rapport.stack import Stack
from tests.e2e.conftest import WebChatCustomer, export_profile, running_stack, texts
from tests.e2e.postgres import fresh_database, postgres_admin

pytestmark = pytest.mark.e2e

# Words of this test only (no other test says them), so that finding one is finding hers.
WEB_WORDS = (
    "my name is Ottoline",
    "I adore smoked eel on rye bread",
    "I'm allergic to hazelnuts, truly",
    "I come on Friday evenings after work",
)
REST_WORDS = ("I can't stand pickled herring at all",)


async def rest_say(stack: Stack, sender: str, text: str) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            stack.rest_url,
            json={"sender": sender, "message": text},
            headers=stack.rest_headers(),
            timeout=aiohttp.ClientTimeout(total=60),
        ) as response,
    ):
        assert response.status == 200, await response.text()
        answer: list[dict[str, Any]] = await response.json()
        return answer


async def rest_tell(stack: Stack, sender: str, text: str) -> list[dict[str, Any]]:
    """State something, answering yes when the bot asks "Just to be sure: ...?" about it (how
    sure the reader is of a wording varies between trainings; what lands does not)."""
    answer = await rest_say(stack, sender, text)
    said = " ".join(str(m.get("text", "")) for m in answer).lower()
    if "just to be sure" in said:
        answer += await rest_say(stack, sender, "yes")
    return answer


def _path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def raw_files(url: str) -> bytes:
    """The database file and its companions (WAL, shared memory, rollback journal), byte for byte,
    plus every row as SQL."""
    path = _path(url)
    raw = b"".join(f.read_bytes() for f in sorted(path.parent.glob(path.name + "*")))
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        dump = "\n".join(conn.iterdump())
    return raw + b"\n" + dump.encode()


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value, ensure_ascii=False, default=str).encode()


def every_row(url: str) -> bytes:
    """Every row of every table of a PostgreSQL database, as text (binary columns as they are)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                text(
                    "select table_schema, table_name from information_schema.tables"
                    " where table_type = 'BASE TABLE'"
                    " and table_schema not in ('pg_catalog', 'information_schema')"
                    " order by 1, 2"
                )
            ).all()
            assert tables, f"no table in {url}"
            lines = [f"-- {schema}.{name}".encode() for schema, name in tables]
            for schema, name in tables:
                for row in conn.execute(text(f'select * from "{schema}"."{name}"')):
                    lines.append(b"\t".join(_as_bytes(value) for value in row))
    finally:
        engine.dispose()
    return b"\n".join(lines)


def found(needles: list[str], haystack: bytes) -> list[str]:
    lowered = haystack.lower()
    return [n for n in needles if n.lower().encode() in lowered]


@pytest.fixture
def postgres_stack() -> Iterator[Stack]:
    """A stack of its own whose profile store and Rasa tracker store are two fresh databases on
    the machine's PostgreSQL server (skipped, with the reason, where there is none)."""
    with (
        postgres_admin() as admin,
        fresh_database(admin, "profile") as profile_url,
        fresh_database(admin, "tracker") as tracker_url,
        running_stack(
            "erasure-postgres", database_url=profile_url, tracker_db_url=tracker_url
        ) as running,
    ):
        yield running


async def test_an_erased_customer_leaves_no_byte_in_the_profile_store_nor_in_the_tracker(
    stack: Stack,
) -> None:
    await talk_erase_and_search(stack, raw_files)


async def test_on_postgresql_an_erased_customer_leaves_no_row_in_either_database(
    postgres_stack: Stack,
) -> None:
    # Both stores really are on PostgreSQL: the URLs our processes read, and Rasa's endpoints.
    assert postgres_stack.database_url.startswith("postgresql+psycopg://")
    assert postgres_stack.tracker_db_url.startswith("postgresql+psycopg://")
    endpoints = (postgres_stack.workdir / "endpoints.yml").read_text()
    assert "dialect: postgresql" in endpoints, endpoints
    await talk_erase_and_search(postgres_stack, every_row)


async def talk_erase_and_search(stack: Stack, dump: Callable[[str], bytes]) -> None:
    """The customer talks on two channels and is erased; `dump` reads a store (its URL) whole."""
    nonce = uuid.uuid4().hex[:10]
    rest_sender = f"erasure-{nonce}"
    order = f"good morning, my order reference is {nonce}"
    other = uuid.uuid4().hex[:10]  # somebody else, who stays
    bystander = f"bystander-{other}"
    bystander_words = f"aged gouda for me, reference {other}"

    browser = WebChatCustomer(stack.gateway_url)
    session_id = await browser.connect()
    try:
        await browser.say("/greet")
        assert "Ottoline" in texts(await browser.say(WEB_WORDS[0]))
        for words in WEB_WORDS[1:]:
            assert texts(await browser.tell(words)), f"no answer to {words!r}"
    finally:
        await browser.close()
    assert await rest_say(stack, rest_sender, order), f"no answer to {order!r}"
    for words in REST_WORDS:
        assert await rest_tell(stack, rest_sender, words), f"no answer to {words!r}"
    assert await rest_say(stack, bystander, bystander_words)

    web_ref = f"web:{web_address(session_id)}"
    # The REST sender joins the web customer, as a verified link does (the linking tests send the
    # code for real): Rasa keeps that side's words under its former id.
    engine = make_engine(stack.database_url)
    with make_sessionmaker(engine).begin() as session:
        web = find_customer(session, web_ref)
        rest = find_customer(session, f"rest:{rest_sender}")
        assert web is not None and rest is not None
        web_id, rest_id = web.id, rest.id
        merge_customers(session, web_id, rest_id)
    engine.dispose()

    profile = export_profile(stack, web_ref)
    assert profile["customer"]["name"] == "Ottoline"
    assert {"smoked eel", "hazelnuts", "pickled herring"} <= {
        p["subject"] for p in profile["preferences"]
    }, profile["preferences"]
    assert {(i["channel"], i["address"]) for i in profile["identities"]} == {
        ("web", web_address(session_id)),
        ("rest", rest_sender),
    }

    needles = [
        web_id,
        rest_id,
        session_id,
        web_address(session_id),
        rest_sender,
        nonce,
        order,
        "Ottoline",
        *WEB_WORDS,
        *REST_WORDS,
    ]
    before = dump(stack.database_url) + dump(stack.tracker_db_url)
    # Each is there before (but the session id, which only its hash ever stands for).
    assert set(found(needles, before)) == set(needles) - {session_id}

    erased = subprocess.run(
        [stack.python, "-m", "rapport", "profile", "erase", web_ref, "--yes", "--by", "staff:e2e"],
        cwd=ROOT,
        env=stack.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"erased customer {web_id}" in erased.stdout
    assert "of 2 sender id(s)" in erased.stdout, erased.stdout

    profile_bytes = dump(stack.database_url)
    tracker_bytes = dump(stack.tracker_db_url)
    assert found(needles, profile_bytes) == []
    assert found(needles, tracker_bytes) == []
    # The files read are the stack's own: somebody else's words are still there.
    assert bystander_words.encode() in tracker_bytes
    assert bystander.encode() in profile_bytes
    # Only a hash remains in the audit, and the customer is unknown to the CLI.
    assert b"staff:e2e" in profile_bytes
    missing = subprocess.run(
        [stack.python, "-m", "rapport", "profile", "export", web_ref],
        cwd=ROOT,
        env=stack.env(),
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1
