"""Opt-out and opt-in keywords, the same on every channel (STOP, unsubscribe, START...)."""

from __future__ import annotations

import re
import unicodedata

# The usual opt-out and opt-in keywords (those carriers and WhatsApp providers honour), in
# English and French, matched on the whole message once case, accents and punctuation are gone.
STOP_WORDS = {
    "stop",
    "stop all",
    "stopall",
    "stop offers",
    "stop promotions",
    "unsubscribe",
    "cancel",
    "end",
    "quit",
    "opt out",
    "optout",
    "arret",
    "stop pub",
    "desabonner",
    "desinscription",
    "se desabonner",
}
START_WORDS = {"start", "unstop", "subscribe", "opt in", "optin", "yes offers", "resubscribe"}


def keyword(text: str) -> str:
    """The message reduced to lower-case unaccented words, to compare with the keywords."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def opt_word(text: str | None) -> bool | None:
    """True for START, False for STOP, None for any other message (one reading of the text)."""
    word = keyword(text or "")
    return True if word in START_WORDS else False if word in STOP_WORDS else None


STOPPED = (
    "Done: you won't receive any more offers from us, here or on any other channel. You can "
    "still write to us whenever you like. Say START if you change your mind."
)
STARTED = (
    "Thank you! I'll suggest offers picked for you again. Say STOP at any time and they stop at "
    "once."
)
