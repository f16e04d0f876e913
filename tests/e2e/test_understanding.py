"""What the trained model understands, through the real Rasa server and the gateway.

Rasa's /model/parse shows the intent and the `name` entity the pipeline gives (MiniLM sentence
embeddings + logistic regression for intents, NameExtractor for names); the REST customer
shows what the customer sees and what lands in their profile.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from rapport.stack import Stack
from tests.e2e.conftest import export_profile

pytestmark = pytest.mark.e2e


async def parse(stack: Stack, text: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{stack.rasa_url}/model/parse", json={"text": text}) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return dict(await resp.json())


def names(parsed: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [(e["value"], e["start"], e["end"]) for e in parsed["entities"] if e["entity"] == "name"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("hi, I'm Philippe", "Philippe"),
        ("call me rachid", "rachid"),
        ("good evening, this is Mrs Okonjo-Bassey", "Mrs Okonjo-Bassey"),
        ("hey there, tomasz here", "tomasz"),
    ],
)
async def test_introductions_give_the_name_where_it_is_written(
    stack: Stack, text: str, name: str
) -> None:
    parsed = await parse(stack, text)
    assert parsed["intent"]["name"] == "give_name"
    start = text.index(name)
    assert names(parsed) == [(name, start, start + len(name))]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I'm keto, so no bread for me", "share_taste"),
        ("I'm lactose intolerant", "share_taste"),
        ("this is great, thanks", "thank"),
        ("is this a bot?", "bot_challenge"),
    ],
)
async def test_no_name_where_nobody_introduces_themselves(
    stack: Stack, text: str, intent: str
) -> None:
    parsed = await parse(stack, text)
    assert parsed["intent"]["name"] == intent
    assert names(parsed) == []


async def test_a_lower_case_introduction_lands_in_the_profile(stack: Stack) -> None:
    sender = "understanding-name"
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            stack.rest_url,
            json={"sender": sender, "message": "hello, anne-laure here"},
            headers=stack.rest_headers(),
        ) as resp,
    ):
        assert resp.status == 200
        said = " ".join(str(m.get("text", "")) for m in await resp.json())
    assert "Anne-Laure" in said
    assert export_profile(stack, f"rest:{sender}")["customer"]["name"] == "Anne-Laure"


async def test_hesitating_after_offers_keeps_nothing(stack: Stack) -> None:
    sender = "understanding-hmm"

    async def say(text: str) -> list[dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                stack.rest_url,
                json={"sender": sender, "message": text},
                headers=stack.rest_headers(),
            ) as resp,
        ):
            assert resp.status == 200
            return list(await resp.json())

    await say("I love cheese")
    assert any("buttons" in m for m in await say("any offers for me?"))
    answer = " ".join(str(m.get("text", "")) for m in await say("hmm"))
    assert "Take your time" in answer or "No hurry" in answer
    assert "offers above" in answer, "the bot comes back to the offers"
    events = export_profile(stack, f"rest:{sender}")["offers"]
    assert not any(e["event"] == "accepted" for e in events), "a hesitation is not a yes"
    await say("yes please")
    events = export_profile(stack, f"rest:{sender}")["offers"]
    assert [e["event"] for e in events].count("accepted") == 1
