"""Vocabulary.normalise: a customer's phrase lands on the catalogue's term."""

from __future__ import annotations

import pytest

from tastes import Vocabulary

NORMALISED: list[tuple[str, tuple[str, str | None, bool]]] = [
    ("veal paupiettes", ("veal paupiettes", "butcher", True)),
    ("paupiette", ("veal paupiettes", "butcher", True)),
    ("the paupiettes", ("veal paupiettes", "butcher", True)),
    ("some of my paupiettes de veau", ("veal paupiettes", "butcher", True)),
    ("PAUPIETTES DE VEAU", ("veal paupiettes", "butcher", True)),
    ("comte", ("Comté", "cheese", True)),
    ("Comté", ("Comté", "cheese", True)),
    ("pate de foie", ("liver pâté", "charcuterie", True)),
    ("liver pate", ("liver pâté", "charcuterie", True)),
    ("a bottle of bourgogne", ("Burgundy", "wine", True)),
    ("those lovely veal paupiettes from your counter", ("veal paupiettes", "butcher", True)),
    ("lamb shoulders", ("lamb shoulder", "butcher", True)),
    ("offal", ("offal", None, True)),
    ("goat's cheese", ("goat cheese", None, True)),
    ("cheese", ("cheese", "cheese", True)),
    ("black pudding", ("black pudding", None, False)),
    ("The Black Pudding!", ("black pudding", None, False)),
]


@pytest.mark.parametrize(("phrase", "expected"), NORMALISED)
def test_normalise(
    phrase: str, expected: tuple[str, str | None, bool], vocabulary: Vocabulary
) -> None:
    assert vocabulary.normalise(phrase) == expected


def test_terms_lists_catalogue_terms_first_then_built_ins(vocabulary: Vocabulary) -> None:
    terms = vocabulary.terms()
    assert terms[:3] == ["veal paupiettes", "Comté", "Roquefort"]
    assert {"nuts", "vegetarian", "halal", "offal"} <= set(terms)
    assert len(terms) == len(set(terms))


def test_catalogue_category_wins_over_a_built_in_word() -> None:
    vocabulary = Vocabulary.from_entries([("offal", "butcher", ["variety meats"])])
    assert vocabulary.normalise("variety meats") == ("offal", "butcher", True)
    assert vocabulary.normalise("offal") == ("offal", "butcher", True)


def test_an_empty_catalogue_still_knows_the_built_in_words() -> None:
    vocabulary = Vocabulary.from_entries([])
    assert vocabulary.normalise("hazelnuts") == ("hazelnuts", None, True)
    assert vocabulary.normalise("nothing in particular")[2] is False


def test_entries_can_be_any_iterable() -> None:
    vocabulary = Vocabulary.from_entries(
        iter([("Saint-Nectaire", "cheese", iter(["st nectaire"]))])
    )
    assert vocabulary.normalise("st nectaire") == ("Saint-Nectaire", "cheese", True)
    assert vocabulary.normalise("saint nectaire") == ("Saint-Nectaire", "cheese", True)


def test_a_terms_own_name_beats_another_terms_synonym() -> None:
    vocabulary = Vocabulary.from_entries(
        [("comté 18 months", "cheese", ["comte"]), ("comté", "cheese", [])]
    )
    assert vocabulary.normalise("Comte")[0] == "comté"
    assert vocabulary.normalise("comte 18 months")[0] == "comté 18 months"


def test_a_tag_shared_across_categories_takes_the_most_common() -> None:
    vocabulary = Vocabulary.from_entries(
        [("burgundy", "charcuterie", []), ("burgundy", "wine", []), ("burgundy", "wine", [])]
    )
    assert vocabulary.normalise("Burgundy") == ("burgundy", "wine", True)


def test_a_category_name_is_a_term_of_its_own_category() -> None:
    vocabulary = Vocabulary.from_entries(
        [("grilled vegetables", "deli", []), ("vegetables", "deli", [])]
        + [("carrots", "vegetables", [])]
    )
    assert vocabulary.normalise("vegetable") == ("vegetables", "vegetables", True)
