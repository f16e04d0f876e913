"""WhatsApp's rules for the shop: the 24-hour window, opt-in keywords, what to answer (pure)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

SERVICE_WINDOW = timedelta(hours=24)

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

STOP_CONFIRMATION = (
    "Done: you won't receive any more offers from us on WhatsApp. You can still write to us here "
    "whenever you like. Send START if you change your mind."
)
START_CONFIRMATION = (
    "Thank you! You'll now receive offers picked for you on WhatsApp. Send STOP at any time and "
    "they stop at once."
)
UNAVAILABLE = "Sorry, I can't answer right now. Please send your message again in a few minutes."
_WHAT_WE_GOT = {
    "image": "photo",
    "audio": "voice message",
    "video": "video",
    "document": "document",
    "sticker": "sticker",
    "location": "location",
    "contacts": "contact card",
}


def keyword(text: str) -> str:
    """The message reduced to lower-case unaccented words, to compare with the keywords."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def is_stop(text: str | None) -> bool:
    return bool(text) and keyword(text or "") in STOP_WORDS


def is_start(text: str | None) -> bool:
    return bool(text) and keyword(text or "") in START_WORDS


def unsupported_reply(kind: str) -> str:
    """A friendly answer to a message the bot cannot read (photo, voice note, location...)."""
    what = _WHAT_WE_GOT.get(kind, "message")
    return (
        f"Thanks for your {what}! I can only read text for now, so I couldn't open it. "
        "Could you tell me in a few words instead?"
    )


def in_service_window(last_inbound: datetime | None, now: datetime) -> bool:
    """Free-form messages are allowed only within 24 hours of the customer's last message."""
    return last_inbound is not None and now - last_inbound < SERVICE_WINDOW
