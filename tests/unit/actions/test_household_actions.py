"""Review and offers with household members' facts and time-bounded facts in the store."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.actions.offering import ActionOffer
from bot.actions.review import ActionReviewProfile
from offers.catalogue import load_catalogue
from profile_store.repository import ensure_customer, record_preference
from rapport.settings import ROOT
from tastes.describe import until_words
from tests.unit.actions.conftest import run

DEMO = load_catalogue(ROOT / "catalogue" / "demo.yml")


pytestmark = pytest.mark.usefixtures("tiny_encoder")


def _end_of_day(days_from_now: int) -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=days_from_now)
    return datetime.combine(day, time.max, tzinfo=UTC)


def _store(shop: sessionmaker[Session], *facts: dict[str, Any], sender: str = "cust-1") -> None:
    with shop.begin() as s:
        ensure_customer(s, sender)
        for f in facts:
            record_preference(s, sender, channel="web", **{"polarity": "like", **f})


def _offers(out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in out if m.get("response") == "utter_offer"]


async def test_review_tells_members_and_ends_and_hides_what_expired(
    shop: sessionmaker[Session],
) -> None:
    ends = _end_of_day(3)
    _store(
        shop,
        {"subject": "veal paupiettes", "stated": "I love veal paupiettes", "strength": 2},
        {
            "subject": "rabbit",
            "polarity": "dislike",
            "strength": -2,
            "stated": "my husband can't stand rabbit",
            "member": "husband",
        },
        {"subject": "red meat", "polarity": "avoid", "stated": "off red meat", "until": ends},
        {
            "subject": "wine",
            "polarity": "avoid",
            "stated": "no wine last week",
            "until": _end_of_day(-1),
        },
    )
    review = await run(ActionReviewProfile(), "what do you know about me?", intent="review_profile")
    facts = [m["fact"] for m in review if m.get("response") == "utter_profile_fact"]
    assert facts == [
        "you love veal paupiettes",
        "your husband can't stand rabbit",
        f"you're off red meat {until_words(ends)}",
    ]
    assert until_words(ends).startswith("until ")


async def test_a_members_dislike_and_allergy_filter_the_offers(
    shop: sessionmaker[Session],
) -> None:
    _store(shop, {"subject": "veal paupiettes", "stated": "I love veal paupiettes", "strength": 2})
    first = _offers(await run(ActionOffer(), "any offers?", intent="ask_offers"))
    assert first[0]["offer_id"] == "OFF-001"

    _store(
        shop,
        {
            "subject": "veal paupiettes",
            "polarity": "dislike",
            "stated": "he hates them",
            "member": "husband",
        },
        {
            "subject": "nuts",
            "polarity": "avoid",
            "reason": "allergy",
            "stated": "my daughter is allergic to nuts",
            "member": "daughter",
        },
        sender="cust-2",
    )
    _store(
        shop,
        {"subject": "veal paupiettes", "stated": "I love veal paupiettes", "strength": 2},
        {"subject": "walnut bread", "stated": "I love walnut bread", "strength": 2},
        {"subject": "Comté", "stated": "I love Comté", "strength": 2},
        sender="cust-2",
    )
    out = _offers(await run(ActionOffer(), "any offers?", intent="ask_offers", sender="cust-2"))
    assert out and "OFF-001" not in [m["offer_id"] for m in out]
    for m in out:
        products = DEMO.products_of(DEMO.offer(m["offer_id"]))
        assert all("nuts" not in p.allergens for p in products), m["offer_id"]


async def test_an_expired_avoid_no_longer_filters(shop: sessionmaker[Session]) -> None:
    _store(
        shop,
        {"subject": "veal paupiettes", "stated": "I love veal paupiettes", "strength": 2},
        {"subject": "veal", "polarity": "avoid", "stated": "no veal", "until": _end_of_day(-1)},
    )
    out = _offers(await run(ActionOffer(), "any offers?", intent="ask_offers"))
    assert out[0]["offer_id"] == "OFF-001"


async def test_the_reason_names_the_member_whose_like_chose_the_offer(
    shop: sessionmaker[Session],
) -> None:
    _store(
        shop,
        {
            "subject": "comté",
            "stated": "the kids can't get enough of Comté",
            "strength": 2,
            "member": "kids",
        },
    )
    [first, *_] = _offers(await run(ActionOffer(), "any offers?", intent="ask_offers"))
    assert first["offer_id"] in {"OFF-005", "OFF-006"}
    assert "that your kids love comté" in first["reason"]
