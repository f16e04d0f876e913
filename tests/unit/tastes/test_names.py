"""extract_name: the customer's name when they introduce themselves, and nothing else."""

from __future__ import annotations

import pytest

from tastes import extract_name

NAMES = [
    ("hi, I'm Philippe", "Philippe"),
    ("my name is Anne-Marie", "Anne-Marie"),
    ("my name is anne-marie", "Anne-Marie"),
    ("call me Jo", "Jo"),
    ("you can call me jo", "Jo"),
    ("hi i'm jo", "Jo"),
    ("Philippe here", "Philippe"),
    ("I'm Jean Dupont and I love lamb", "Jean Dupont"),
    ("I am Mrs Dupont", "Mrs Dupont"),
    ("Hello, this is Claire from Lyon", "Claire"),
    ("name's Zoë", "Zoë"),
    ("I'm Eric", "Eric"),
]

NOT_NAMES = [
    "I'm allergic to nuts",
    "I'm vegetarian",
    "I'm a vegetarian",
    "I'm fine",
    "I'm fine thanks",
    "I'm lactose intolerant",
    "I'm looking for lamb",
    "I'm Muslim, halal only",
    "I'm not sure",
    "I am hungry",
    "I'm Philippe's wife",
    "it's Saturday",
    "this is great",
    "my name is 12345",
    "I love veal paupiettes",
    "",
]


@pytest.mark.parametrize(("text", "expected"), NAMES)
def test_names(text: str, expected: str) -> None:
    assert extract_name(text) == expected


@pytest.mark.parametrize("text", NOT_NAMES)
def test_not_a_name(text: str) -> None:
    assert extract_name(text) is None
