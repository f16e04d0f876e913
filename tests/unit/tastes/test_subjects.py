"""The foods a message names: a diet word is never part of another food's name."""

from __future__ import annotations

import pytest

from tastes import Vocabulary
from tastes.subjects import find_subjects
from tests.unit.tastes.conftest import ENTRIES

VOCABULARY = Vocabulary.from_entries([*ENTRIES, ("vegan cheese", "cheese", [])])


@pytest.mark.parametrize(
    ("text", "tagged", "expected"),
    [
        # The tagger took the diet in with the food; the diet is one subject, the food another.
        ("vegan chocoholic here", "vegan chocoholic", ["vegan", "chocoholic"]),
        ("pescatarian - fish is fine", "pescatarian - fish", ["pescatarian", "fish"]),
        ("veggie haggis lover", "veggie haggis", ["vegetarian", "haggis"]),
        # A shop word with the diet in its name stays whole.
        ("I love vegan cheese", "vegan cheese", ["vegan cheese"]),
    ],
)
def test_a_diet_word_stands_alone(text: str, tagged: str, expected: list[str]) -> None:
    start = text.index(tagged)
    found = find_subjects(text, VOCABULARY, [(start, start + len(tagged))])
    assert [s.name.casefold() for s in found] == expected
