"""A small catalogue vocabulary shaped like the one the actions build."""

from __future__ import annotations

import pytest

from tastes import Vocabulary

ENTRIES: list[tuple[str, str | None, list[str]]] = [
    ("veal paupiettes", "butcher", ["paupiettes de veau", "paupiettes"]),
    ("Comté", "cheese", ["comte 18 months"]),
    ("Roquefort", "cheese", []),
    ("liver pâté", "charcuterie", ["pâté de foie"]),
    ("Burgundy", "wine", ["bourgogne", "red burgundy"]),
    ("lamb shoulder", "butcher", []),
    ("lamb", "butcher", []),
    ("mutton", "butcher", []),
    ("beef", "butcher", []),
    ("pork", "butcher", []),
    ("walnut bread", "bakery", []),
    ("smoked salmon", "fishmonger", ["salmon"]),
]


@pytest.fixture(scope="session")
def vocabulary() -> Vocabulary:
    return Vocabulary.from_entries(ENTRIES)
