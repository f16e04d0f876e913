"""Any input is safe: nothing crashes, long input is read in pieces, the pipeline is loaded once."""

from __future__ import annotations

import random

import pytest

from tastes import (
    Vocabulary,
    extract_facts,
    extract_forget_subjects,
    extract_habits,
    extract_name,
)
from tastes.text import MAX_CHARS, nlp

AWKWARD: list[object] = [
    "",
    "   ",
    "\ud800 lone surrogates \udfff I love lamb",
    "😀" * 5000,
    "a" * 10_000,
    "I love " + "lamb and " * 2000,
    "I'm allergic to " + "nuts, " * 3000,
    "!!!???...,,,;;;",
    "but but except especially not not",
    "I love\x00 Comté\u200b",
    "İ" * 200 + " I love Comté",
    None,
    12,
]


@pytest.mark.parametrize("text", AWKWARD, ids=lambda v: repr(v)[:20])
def test_awkward_input_never_crashes(text: object, vocabulary: Vocabulary) -> None:
    facts = extract_facts(text, vocabulary)  # type: ignore[arg-type]
    extract_habits(text)  # type: ignore[arg-type]
    extract_name(text)  # type: ignore[arg-type]
    extract_forget_subjects(text, vocabulary)  # type: ignore[arg-type]
    assert all(len(f.stated) <= MAX_CHARS for f in facts)


def test_surrogates_do_not_hide_the_fact(vocabulary: Vocabulary) -> None:
    facts = extract_facts("\ud800 I love lamb \udfff", vocabulary)
    assert [(f.subject, f.polarity) for f in facts] == [("lamb", "like")]


def test_random_noise_never_crashes(vocabulary: Vocabulary) -> None:
    rng = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyz ,.;'!?-éà😀\ud800ÉŁ"
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        extract_facts(text, vocabulary)
        extract_habits(text)
        extract_name(text)
        extract_forget_subjects(text, vocabulary)


def test_a_very_long_message_is_read_in_pieces(vocabulary: Vocabulary) -> None:
    text = " ".join(f"Story number {n}: we went to the market and then home." for n in range(30))
    text += " By the way, I'm allergic to walnuts."
    assert len(text) > 1000
    facts = extract_facts(text, vocabulary)
    assert ("walnuts", "avoid") in [(f.subject, f.polarity) for f in facts]


def test_the_pipeline_is_made_once() -> None:
    assert nlp() is nlp()


def test_without_lookup_tables_a_rule_singulariser_takes_over(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from spacy.language import Language

    from tastes import text

    def unavailable(self: Language, *args: object, **kwargs: object) -> None:
        raise ValueError("no lookups")

    monkeypatch.setattr(text, "_nlp", None)
    monkeypatch.setattr(text, "_lemmas", None)
    monkeypatch.setattr(Language, "initialize", unavailable)
    text.word_key.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="tastes.text"):
            vocabulary = Vocabulary.from_entries([("veal paupiettes", "butcher", [])])
            assert vocabulary.normalise("Veal Paupiette") == ("veal paupiettes", "butcher", True)
            assert text.word_key("anchovies") == "anchovy"
            assert text.word_key("asparagus") == "asparagus"
        assert "rule singulariser" in caplog.text
    finally:
        text.word_key.cache_clear()
