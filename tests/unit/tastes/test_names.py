"""extract_name: the customer's name when they introduce themselves, and nothing else."""

from __future__ import annotations

import pytest

from tastes import extract_name
from tastes.names import find_name, styled_name

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


# Shapes the Rasa-side NameExtractor relies on (bot/components/names.py).
MORE_NAMES = [
    ("louise here", "Louise"),
    ("hi there, Oluwaseun here", "Oluwaseun"),
    ("Youssef speaking, hello", "Youssef"),
    ("Aïcha speaking", "Aïcha"),
    ("name is Siobhan", "Siobhan"),
    ("myname is Lucas", "Lucas"),
    ("it's me, Hassan", "Hassan"),
    ("me, Pierre-Louis", "Pierre-Louis"),
    ("you're talking to Camille", "Camille"),
    ("its marco", "Marco"),
    ("hello this is Mei Ling", "Mei Ling"),
    ("this is Mrs Okafor speaking", "Mrs Okafor"),
]

MORE_NOT_NAMES = [
    "I'm keto, so no bread for me",
    "anyone here?",
    "still here",
    "help here please",
    "I'm speaking to a bot, right?",
]


@pytest.mark.parametrize(("text", "expected"), MORE_NAMES)
def test_more_introduction_shapes(text: str, expected: str) -> None:
    assert extract_name(text) == expected


@pytest.mark.parametrize("text", MORE_NOT_NAMES)
def test_more_non_names(text: str) -> None:
    assert extract_name(text) is None


@pytest.mark.parametrize(
    ("text", "span", "strong"),
    [
        ("call me rachid", "rachid", True),
        ("hello, my name is Anne-Marie Dupont and I love lamb", "Anne-Marie Dupont", True),
        ("I'm Jean Dupont", "Jean Dupont", False),
        ("louise here", "louise", False),
        ("hey, it\u2019s Zoë", "Zoë", False),
    ],
)
def test_find_name_gives_the_span_in_the_text(text: str, span: str, strong: bool) -> None:
    found = find_name(text)
    assert found is not None
    assert text[found.start : found.end] == span
    assert found.strong is strong


def test_styled_name_keeps_capitals_as_written() -> None:
    assert styled_name("anne-marie") == "Anne-Marie"
    assert styled_name("o'brien") == "O'Brien"
    assert styled_name("McDonald") == "McDonald"


def test_names_module_needs_no_spacy() -> None:
    """The Rasa process (no spaCy there) imports tastes.names for its NameExtractor."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['spacy'] = None; import tastes.names as n; "
        "print(n.extract_name('call me jo'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "Jo"
