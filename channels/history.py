"""The recent conversation a returning web chat customer sees again when the page reloads.

Built from Rasa's tracker (the one transcript of the relationship, whatever the channel): the
customer's messages and the bot's and staff's answers, oldest first, at most HISTORY_LIMIT.
A button the customer pressed is shown with its title, as the page showed it; payloads
nobody typed (the page's own greeting) are left out.
"""

from __future__ import annotations

from typing import Any

HISTORY_LIMIT = 50


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def recent_history(
    events: list[dict[str, Any]], limit: int = HISTORY_LIMIT
) -> list[dict[str, Any]]:
    """[{"from": "customer" | "bot" | "staff", "text": str, "at": float, "channel"?: str}]."""
    lines: list[dict[str, Any]] = []
    titles: dict[str, str] = {}  # payload -> title of the buttons shown so far
    for event in events:
        kind = event.get("event")
        metadata = _mapping(event.get("metadata"))
        at = event.get("timestamp")
        if kind == "bot":
            data = _mapping(event.get("data"))
            for button in data.get("buttons") or []:
                if isinstance(button, dict) and button.get("payload"):
                    titles[str(button["payload"])] = str(button.get("title") or "")
            text = event.get("text")
            if not isinstance(text, str) or not text.strip():
                continue  # a custom payload for the gateway, never shown
            who = "staff" if metadata.get("agent") else "bot"
            line: dict[str, Any] = {"from": who, "text": text, "at": at}
            if who == "staff" and metadata.get("first_name"):
                line["agent"] = str(metadata["first_name"])
            lines.append(line)
        elif kind == "user":
            text = str(event.get("text") or "")
            if text.startswith("/"):
                title = titles.get(text)
                if not title:
                    continue
                text = title
            if not text.strip():
                continue
            line = {"from": "customer", "text": text, "at": at}
            if metadata.get("channel"):
                line["channel"] = str(metadata["channel"])
            lines.append(line)
    return lines[-limit:] if limit > 0 else []
