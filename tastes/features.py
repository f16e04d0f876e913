"""What the reader's heads see of one food in its message (the same in training and reading).

The fine-tuned token vectors of the food itself, of a few tokens around it and of its sentence,
plus three plain signals: the shop knows the word, the sentence is a question, a household
member is named in it.
Messages longer than CHUNK_CHARS are encoded in pieces of whole sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tastes.encoder import Encoded, Vectors
from tastes.text import sentences

WINDOW = 4  # tokens each side of the food
CHUNK_CHARS = 900
FLAGS = 3


@dataclass(frozen=True)
class Piece:
    """A part of the message encoded at once, and where it starts in the message."""

    offset: int
    encoded: Encoded
    length: int


def sentence_of(text: str, start: int, end: int) -> tuple[int, int]:
    for s, e in sentences(text):
        if s <= start < e or (s < end <= e):
            return s, e
    return 0, len(text)


def chunks(text: str) -> list[tuple[int, int]]:
    """Whole sentences, gathered into pieces of at most CHUNK_CHARS where they fit."""
    if len(text) <= CHUNK_CHARS:
        return [(0, len(text))]
    out: list[tuple[int, int]] = []
    start = end = 0
    for _, sentence_end in sentences(text):
        if sentence_end - start > CHUNK_CHARS and end > start:
            out.append((start, end))
            start = end
        end = sentence_end
    out.append((start, len(text)))
    return out


def encode_message(encode: Callable[[str], Encoded], text: str) -> list[Piece]:
    pieces = []
    for start, end in chunks(text):
        enc = encode(text[start:end])
        shifted = [(s + start, e + start) if e > s else (0, 0) for s, e in enc.offsets]
        pieces.append(Piece(start, Encoded(enc.vectors, enc.food, shifted), end - start))
    return pieces


def piece_of(pieces: list[Piece], start: int) -> Piece:
    return next((p for p in pieces if p.offset <= start < p.offset + p.length), pieces[-1])


def mention_rows(
    enc: Encoded, start: int, end: int, sentence: tuple[int, int]
) -> tuple[list[int], list[int], list[int]]:
    """The food's own tokens, its window of WINDOW tokens each side, and its sentence's tokens."""
    last = len(enc.offsets) - 1
    inner = list(range(1, max(last, 2)))
    rows = enc.rows(start, end)
    if not rows:
        rows = [min(inner, key=lambda i: abs(enc.offsets[i][0] - start))]
    window = list(range(max(1, rows[0] - WINDOW), min(max(last, 2), rows[-1] + WINDOW + 1)))
    return rows, window or rows, enc.rows(*sentence) or inner


def flags(text: str, start: int, end: int, *, known: bool, member_named: bool) -> Vectors:
    s_start, s_end = sentence_of(text, start, end)
    question = text[s_start:s_end].rstrip().endswith("?") or (
        s_end < len(text) and text[s_end] == "?"
    )
    return np.asarray([float(known), float(question), float(member_named)], dtype=np.float32)


def mention_features(
    pieces: list[Piece], text: str, start: int, end: int, *, known: bool, member_named: bool
) -> Vectors:
    enc = piece_of(pieces, start).encoded
    rows, window, sentence = mention_rows(enc, start, end, sentence_of(text, start, end))
    return np.concatenate(
        [
            enc.vectors[rows].mean(axis=0),
            enc.vectors[window].mean(axis=0),
            enc.vectors[sentence].mean(axis=0),
            flags(text, start, end, known=known, member_named=member_named),
        ]
    ).astype(np.float32)
