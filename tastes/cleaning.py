"""Safe input for every text path; standard library only, so the Rasa process can import it too."""

from __future__ import annotations

import re
import unicodedata

# Customers paste whole emails; nothing about their tastes needs more than this to be understood,
# and a bound keeps a hostile 10 MB message from costing more than a normal one.
MAX_CHARS = 2000

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")


def clean_input(text: object) -> str:
    """Any input as a bounded, valid, NFC string with plain apostrophes ('' for non-strings)."""
    if not isinstance(text, str):
        return ""
    text = text[: MAX_CHARS * 2]
    # Lone surrogates cannot be encoded; replacing them keeps every later step total.
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES)
    text = _CONTROL.sub(" ", text)
    return text[:MAX_CHARS]
