"""The fact reader's transformer: MiniLM fine-tuned on bot/facts/, run with ONNX Runtime.

One pass per message gives, for every token, a vector that has looked at the whole message (the
vector of "liver" in "love lamb but hate liver" has seen "hate") and the tagger's score that the
token is inside a food. `make train-facts` fine-tunes all-MiniLM-L6-v2 (the model the project
already ships) and exports it here; nothing is downloaded.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
MAX_TOKENS = 256
_IGNORED = {"\ufe0f", "\ufe0e", "\u200d"}  # emoji variation selectors and joiners


class EncoderMissing(RuntimeError):
    """The trained model is not there: `make train-facts` builds it."""


def readable(text: str) -> tuple[str, list[int]]:
    """The text with pictographs spelt out ('🤮' -> ' face vomiting '), and where each char was.

    The tokenizer knows no emoji; their names carry what the customer meant by them.
    """
    out: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        if char in _IGNORED:
            continue
        if ord(char) >= 0x2190 and unicodedata.category(char) == "So":
            name = unicodedata.name(char, "").lower()
            words = f" {name} " if name else " "
            out.append(words)
            where.extend([i] * len(words))
        else:
            out.append(char)
            where.append(i)
    where.append(len(text))
    return "".join(out), where


@dataclass(frozen=True)
class Encoded:
    """One text: a vector and a food score per token, and the characters each token covers."""

    vectors: Vectors  # (tokens, 384); row 0 is [CLS], the last row [SEP]
    food: Vectors  # (tokens, 3): O, B, I logits of the food tagger
    offsets: list[tuple[int, int]]  # in the original text

    def rows(self, start: int, end: int) -> list[int]:
        """Tokens inside the character span [start, end)."""
        return [i for i, (s, e) in enumerate(self.offsets) if e > s and s < end and e > start]


def tokenizer(folder: Path) -> Any:
    """The model's own tokenizer, without padding, cut at MAX_TOKENS."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS)
    tok.no_padding()
    return tok


class Encoder:
    """ONNX Runtime session and tokenizer of the trained model; safe to share between threads."""

    def __init__(self, folder: Path, threads: int = 2) -> None:
        if not (folder / "model.onnx").is_file():
            raise EncoderMissing(f"no trained fact reader in {folder}: run `make train-facts`")
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # Two threads: a long message (an email) is read in half the time; short ones lose nothing.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = tokenizer(folder)

    def encode(self, text: str) -> Encoded:
        spelt, where = readable(text)
        enc = self._tokenizer.encode(spelt)
        ids = np.asarray([enc.ids], dtype=np.int64)
        hidden, food = self._session.run(
            None, {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        )
        offsets = [(where[s], where[e - 1] + 1) if e > s else (0, 0) for s, e in enc.offsets]
        return Encoded(
            np.asarray(hidden[0], dtype=np.float32), np.asarray(food[0], dtype=np.float32), offsets
        )


_lock = threading.Lock()
_shared: dict[Path, Encoder] = {}


def shared_encoder(folder: Path) -> Encoder:
    """The process's one encoder for a folder, loaded on first use."""
    with _lock:
        if folder not in _shared:
            _shared[folder] = Encoder(folder)
        return _shared[folder]
