"""Shared fixtures for the offers tests: the real demo catalogue and a fact builder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from offers.catalogue import Catalogue, load_catalogue
from offers.ranking import Fact, RankingPolicy

DEMO = Path(__file__).resolve().parents[3] / "catalogue" / "demo.yml"
# A Monday, and the Saturday after it: weekend offers run only on the second.
MONDAY = date(2026, 11, 23)
SATURDAY = date(2026, 11, 28)

MakeFact = Callable[..., Fact]
EVERYTHING = 1000  # a limit that returns every offer that passes the filters...
# ...with this week's other offers after the ones that answer a like (by default a customer who
# said what they like is offered only what answers it): what the filter tests look through.
EVERY_OFFER = RankingPolicy(general_for_known_tastes=True)


@pytest.fixture(scope="session")
def demo() -> Catalogue:
    return load_catalogue(DEMO)


@pytest.fixture
def fact() -> MakeFact:
    def make(
        subject: str,
        polarity: str = "like",
        *,
        reason: str | None = None,
        stated: str | None = None,
        channel: str = "web",
        at: datetime = datetime(2026, 3, 3, 9, 30, tzinfo=UTC),
        member: str | None = None,
        strength: int | None = None,
    ) -> Fact:
        if reason is None and polarity == "avoid":
            reason = "allergy"
        stated = stated or f"about {subject}"
        return Fact(subject, polarity, reason, stated, channel, at, member, strength)

    return make
