"""More ways of saying a taste: after the food ("is heaven"), typos, "too strong for me"."""

from __future__ import annotations

import pytest

from tastes import Vocabulary, extract_facts


def said(text: str, vocabulary: Vocabulary) -> list[tuple[str, str]]:
    return [(f.subject, f.polarity) for f in extract_facts(text, vocabulary)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Roquefort is pure heaven", [("Roquefort", "like")]),
        ("walnut bread is our little treat", [("walnut bread", "like")]),
        ("smoked salmon is a must for us at Christmas", [("smoked salmon", "like")]),
        ("lamb makes me so happy", [("lamb", "like")]),
        ("we are huge fans of Burgundy", [("Burgundy", "like")]),
        ("really big on beef", [("beef", "like")]),
        ("not big on pork", [("pork", "dislike")]),
        ("mutton makes me gag", [("mutton", "dislike")]),
        ("liver pâté is way too rich for me", [("liver pâté", "dislike")]),
        ("i'm alergic to pork", [("pork", "avoid")]),
    ],
)
def test_more_shapes(text: str, expected: list[tuple[str, str]], vocabulary: Vocabulary) -> None:
    assert said(text, vocabulary) == expected
