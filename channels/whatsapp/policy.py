"""WhatsApp's rules for the shop: the 24-hour window, what to answer (pure; the opt-out and opt-in
keywords are every channel's: channels/keywords.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

SERVICE_WINDOW = timedelta(hours=24)

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
