"""Putting a misspelt food word on the word most people write ("gorgonzolla" -> "gorgonzola").

The shop's own words are corrected by the vocabulary (tastes.vocabulary.Vocabulary.close);
this does the same for every other food, with a lexicon learned from the corpus: the words
that hand-written subjects use often enough to be the usual spelling. Its file,
`lexicon.json` beside the reader's model, is written by training (tastes.training).
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

LEXICON_FILE = "lexicon.json"
MIN_COUNT = 3  # a word written in this many examples is a spelling people use
MIN_LENGTH = 5  # shorter words are too easily another word ("pear", "peas")
CUTOFF = 0.85  # difflib ratio: "gorgonzolla"/"gorgonzola" 0.95, "chedder"/"cheddar" 0.86

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def lexicon_counts(subjects: Iterable[str]) -> Counter[str]:
    """How many subjects each word appears in (once per subject)."""
    counts: Counter[str] = Counter()
    for subject in subjects:
        counts.update({w.lower() for w in _WORD.findall(subject)})
    return counts


def write_lexicon(subjects: Iterable[str], folder: Path) -> int:
    counts = lexicon_counts(subjects)
    words = sorted(w for w, n in counts.items() if n >= MIN_COUNT and len(w) >= MIN_LENGTH)
    (folder / LEXICON_FILE).write_text(json.dumps(words, ensure_ascii=False) + "\n", "utf-8")
    return len(words)


class Speller:
    """Corrects the words of a food name that are not in the lexicon but close to one."""

    def __init__(self, words: Iterable[str], known: Iterable[str] = ()) -> None:
        self.words = frozenset(words)
        # Words the language model knows whole ("peaty", "lardo"?): real words, left alone.
        self.known = frozenset(known)
        self._buckets: dict[tuple[str, int], list[str]] = {}
        for w in self.words:
            self._buckets.setdefault((w[0], len(w)), []).append(w)

    @classmethod
    def load(cls, folder: Path) -> Speller:
        path = folder / LEXICON_FILE
        if not path.is_file():
            return cls(())
        vocab = folder / "vocab.txt"  # the tokenizer's word pieces
        known = (
            [w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha()]
            if vocab.is_file()
            else []
        )
        return cls(json.loads(path.read_text(encoding="utf-8")), known)

    def word(self, word: str) -> str:
        low = word.lower()
        if len(low) < MIN_LENGTH or low in self.words or low in self.known or not low.isalpha():
            return word
        candidates = [
            c for n in range(len(low) - 2, len(low) + 3) for c in self._buckets.get((low[0], n), ())
        ]
        found = difflib.get_close_matches(low, candidates, n=1, cutoff=CUTOFF)
        return found[0] if found else word

    def correct(self, phrase: str) -> str:
        """The phrase with each misspelt word replaced ("mozarela" -> "mozzarella")."""
        return _WORD.sub(lambda m: self.word(m.group(0)), phrase)
