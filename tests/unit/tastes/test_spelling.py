"""Misspelt foods outside the catalogue land on the usual spelling, learned from the corpus."""

from __future__ import annotations

from pathlib import Path

from tastes import Vocabulary
from tastes.spelling import MIN_COUNT, Speller, lexicon_counts, write_lexicon
from tastes.subjects import find_subjects

SUBJECTS = ["gorgonzola", "Gorgonzola dolce", "the gorgonzola", "broccoli", "broccoli stems"]
SUBJECTS += ["purple broccoli", "beetroot"] * MIN_COUNT + ["gorgonzolla"]


def test_the_lexicon_keeps_the_spellings_many_examples_use(tmp_path: Path) -> None:
    counts = lexicon_counts(SUBJECTS)
    assert counts["gorgonzola"] == 3 and counts["gorgonzolla"] == 1
    write_lexicon(SUBJECTS, tmp_path)
    speller = Speller.load(tmp_path)
    assert {"gorgonzola", "broccoli", "beetroot"} <= speller.words
    assert "gorgonzolla" not in speller.words, "a typo written once is not a spelling"


def test_misspelt_words_are_corrected_and_others_left_alone(tmp_path: Path) -> None:
    write_lexicon(SUBJECTS, tmp_path)
    (tmp_path / "vocab.txt").write_text("[PAD]\npeaty\n##ing\n", encoding="utf-8")
    speller = Speller.load(tmp_path)
    assert speller.correct("gorgonzolla") == "gorgonzola"
    assert speller.correct("purple brocoli") == "purple broccoli"
    assert speller.correct("beetrot salad") == "beetroot salad"
    assert speller.correct("peaty whisky") == "peaty whisky", "a word the model knows is real"
    assert speller.correct("kale") == "kale", "short words are too easily another word"
    assert speller.correct("rhubarb") == "rhubarb", "nothing close: as written"


def test_no_lexicon_no_correction(tmp_path: Path) -> None:
    assert Speller.load(tmp_path).correct("gorgonzolla") == "gorgonzolla"


def test_a_tagged_food_is_named_without_a_possessive_and_spelt_right(
    tmp_path: Path, vocabulary: Vocabulary
) -> None:
    write_lexicon(SUBJECTS, tmp_path)
    speller = Speller.load(tmp_path)
    text = "tuna's gross, gorgonzolla is my jam"
    tagged = [(0, 6), (text.index("gorgonzolla"), text.index(" is"))]
    found = find_subjects(text, vocabulary, tagged, speller)
    assert [(s.said, s.name) for s in found] == [("tuna", "tuna"), ("gorgonzolla", "gorgonzola")]
