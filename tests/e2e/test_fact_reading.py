"""Facts are heard in every message, whatever its intent, through the real stack.

A customer on the REST channel says things the way people do: a taste inside a greeting, a name
and a taste at once, a question that also states an allergy, a household member's dislike, a
time-bounded constraint. The test reads what the customer sees and their profile export.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from rapport.stack import Stack
from tests.e2e.conftest import export_profile

pytestmark = pytest.mark.e2e


class Customer:
    def __init__(self, stack: Stack, sender: str) -> None:
        self.stack, self.sender = stack, sender

    async def say(self, text: str) -> str:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.stack.rest_url,
                json={"sender": self.sender, "message": text},
                headers=self.stack.rest_headers(),
            ) as resp,
        ):
            assert resp.status == 200, await resp.text()
            return "\n".join(str(m.get("text", "")) for m in await resp.json())

    async def tell(self, text: str) -> str:
        """State something, answering yes to "Just to be sure: ...?" (how sure the reader is
        of a wording varies between trainings; what lands in the profile must not)."""
        reply = await self.say(text)
        said = reply
        for _ in range(3):
            if "just to be sure" not in reply.lower():
                break
            reply = await self.say("yes")
            said += "\n" + reply
        return said

    def profile(self) -> dict[str, Any]:
        return export_profile(self.stack, f"rest:{self.sender}")

    def facts(self) -> set[tuple[str, str]]:
        return {(p["subject"].casefold(), p["polarity"]) for p in self.profile()["preferences"]}


async def test_a_taste_in_a_name_introduction_keeps_both(stack: Stack) -> None:
    marie = Customer(stack, "reading-marie")
    said = await marie.tell("hi I'm Marie, I love Comté")
    assert "Marie" in said and "Comté" in said
    profile = marie.profile()
    assert profile["customer"]["name"] == "Marie"
    assert ("comté", "like") in marie.facts()


async def test_a_name_after_a_taste_keeps_both(stack: Stack) -> None:
    jo = Customer(stack, "reading-jo")
    await jo.tell("call me Jo, and I love lamb")
    assert jo.profile()["customer"]["name"] == "Jo"
    assert ("lamb", "like") in jo.facts()


async def test_a_taste_in_a_greeting_is_stored(stack: Stack) -> None:
    customer = Customer(stack, "reading-greeting")
    said = await customer.tell("good morning! I adore smoked salmon")
    assert "smoked salmon" in said.lower()
    assert ("smoked salmon", "like") in customer.facts()


async def test_an_allergy_in_a_question_is_stored_and_the_question_answered(stack: Stack) -> None:
    customer = Customer(stack, "reading-question")
    said = await customer.tell("any offers for me? I'm allergic to walnuts")
    assert ("walnuts", "avoid") in customer.facts()
    assert "walnut" in said.lower()
    assert len(said.splitlines()) > 1, "the offers question is answered too"


async def test_a_question_that_states_nothing_writes_nothing(stack: Stack) -> None:
    customer = Customer(stack, "reading-nothing")
    await customer.say("do you have lamb?")
    assert customer.facts() == set()


async def test_a_household_members_fact_is_theirs_in_the_export_and_the_review(
    stack: Stack,
) -> None:
    customer = Customer(stack, "reading-household")
    await customer.tell("my husband can't stand rabbit")
    (pref,) = customer.profile()["preferences"]
    assert (pref["subject"].casefold(), pref["polarity"], pref["who"]) == (
        "rabbit",
        "dislike",
        "husband",
    )
    review = await customer.say("what do you know about me?")
    assert "your husband" in review and "rabbit" in review


async def test_a_time_bounded_fact_has_an_end_in_the_export_and_the_review(stack: Stack) -> None:
    customer = Customer(stack, "reading-until")
    await customer.tell("this week I'm off red meat")
    (pref,) = customer.profile()["preferences"]
    assert (pref["subject"], pref["polarity"]) == ("red meat", "avoid")
    assert pref["until"] is not None
    review = await customer.say("what do you know about me?")
    assert "red meat" in review and "until" in review
