"""The right of access: a signed link to the customer's own export, for a day, for them alone."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from channels.app import create_app
from channels.export import readable
from profile_store.db import make_engine, make_sessionmaker
from profile_store.export import export_customer
from profile_store.repository import record_preference, resolve_customer
from rapport.export_links import LINK_TTL_S, BadLink, export_token, read_export_token
from rapport.settings import Settings


def test_a_link_names_one_customer_for_a_day() -> None:
    token = export_token("secret", "cust-1", now=1000.0)
    assert read_export_token("secret", token, now=1000.0 + LINK_TTL_S - 1) == "cust-1"
    with pytest.raises(BadLink) as expired:
        read_export_token("secret", token, now=1000.0 + LINK_TTL_S + 1)
    assert expired.value.expired
    for forged in (export_token("other", "cust-1"), "x.y", "", token.replace(".", "")):
        with pytest.raises(BadLink) as bad:
            read_export_token("secret", forged)
        assert not bad.value.expired


def test_the_page_escapes_what_the_customer_wrote() -> None:
    export: dict[str, Any] = {
        "customer": {"name": "<b>Jo</b>", "created_at": "2026-11-30"},
        "identities": [],
        "preferences": [{"subject": "<script>x</script>", "stated": "I love <i>it</i>"}],
        "habits": [],
        "consents": [],
        "offers": [],
    }
    page = readable(export, "The Shop")
    assert "<script>x" not in page and "&lt;script&gt;" in page and "&lt;b&gt;Jo" in page


@pytest.mark.asyncio(loop_scope="session")
async def test_the_link_serves_the_same_export_as_the_cli(
    aiohttp_client: Any, make_settings: Callable[..., Settings], database_url: str
) -> None:
    settings = make_settings()
    client = await aiohttp_client(create_app(settings))
    sm = make_sessionmaker(make_engine(database_url))
    with sm.begin() as s:
        cid = resolve_customer(s, "web", "sess-1").id
        record_preference(
            s, cid, subject="walnuts", polarity="avoid", reason="allergy",
            stated="I'm allergic to walnuts", channel="web",
        )  # fmt: skip
    token = export_token(settings.session_secret, cid)
    got = await client.get(f"/export/{token}")
    assert got.status == 200 and "attachment" in got.headers["Content-Disposition"]
    with sm.begin() as s:
        assert json.loads(await got.text()) == json.loads(json.dumps(export_customer(s, cid)))
    page = await client.get(f"/export/{token}/page")
    assert page.status == 200 and "allergic to walnuts" in await page.text()
    forged = await client.get(f"/export/{export_token('guess', cid)}")
    assert forged.status == 404 and "walnuts" not in await forged.text()
