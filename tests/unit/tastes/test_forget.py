"""extract_forget_subjects: what to forget, in the same terms as the stored facts."""

from __future__ import annotations

import pytest

from tastes import Vocabulary, extract_forget_subjects

FORGET = [
    ("forget that I like paupiettes", ["veal paupiettes"]),
    ("delete my nut allergy", ["nuts"]),
    ("forget the walnut allergy thing", ["walnuts", "nuts"]),
    ("can you forget that I'm allergic to nuts", ["nuts"]),
    ("forget about the paupiettes", ["veal paupiettes"]),
    ("forget all about the paupiettes", ["veal paupiettes"]),
    ("remove comte and lamb", ["Comté", "lamb"]),
    ("I'm not vegetarian anymore", ["vegetarian"]),
    ("I don't like lamb any more", ["lamb"]),
    ("forget black pudding", ["black pudding"]),
    ("forget everything", ["*"]),
    ("please forget everything you know about me", ["*"]),
    ("delete all my data", ["*"]),
    ("Forget me.", ["*"]),
    ("forget it", []),
    ("hello", []),
]


@pytest.mark.parametrize(("text", "expected"), FORGET)
def test_forget_subjects(text: str, expected: list[str], vocabulary: Vocabulary) -> None:
    assert extract_forget_subjects(text, vocabulary) == expected


def test_forgetting_a_tag_also_names_the_one_product_it_heads() -> None:
    # Shaped like the catalogue's entries: a product, and its tags as terms of their own.
    vocabulary = Vocabulary.from_entries(
        [
            ("veal paupiettes", "butcher", ["paupiettes de veau"]),
            ("paupiettes", "butcher", []),
            ("blue cheese", "cheese", []),
            ("goat cheese", "cheese", []),
        ]
    )
    subjects = extract_forget_subjects("forget that I like paupiettes", vocabulary)
    assert subjects == ["paupiettes", "veal paupiettes"]
    assert extract_forget_subjects("forget the cheese", vocabulary) == ["cheese"]
