"""What a returning web chat customer sees again: the recent conversation from the tracker."""

from __future__ import annotations

from typing import Any

from channels.history import recent_history


def user(text: str, at: float, channel: str = "web") -> dict[str, Any]:
    return {"event": "user", "text": text, "timestamp": at, "metadata": {"channel": channel}}


def bot(text: str | None, at: float, **extra: Any) -> dict[str, Any]:
    return {"event": "bot", "text": text, "timestamp": at, **extra}


EVENTS: list[dict[str, Any]] = [
    {"event": "session_started", "timestamp": 0.5},
    user("/greet", 1.0),  # the page's own greeting: nobody typed it
    bot("Welcome back, Philippe!", 1.1),
    {"event": "action", "name": "action_listen", "timestamp": 1.2},
    user("any offers?", 2.0),
    bot(
        "Here is one:\n\nVeal paupiettes",
        2.1,
        data={"buttons": [{"title": "Yes please", "payload": "/accept_offer"}]},
    ),
    user("/accept_offer", 3.0),  # a button press, shown with its title
    bot(None, 3.1, data={"custom": {"handoff": True}}),  # for the gateway only
    bot("Anne (staff): Hello!", 4.0, metadata={"agent": "anne", "first_name": "Anne"}),
    user("thanks", 5.0, channel="whatsapp"),
]


def test_the_history_is_what_was_said_oldest_first_with_button_titles() -> None:
    lines = recent_history(EVENTS)
    assert [(line["from"], line["text"]) for line in lines] == [
        ("bot", "Welcome back, Philippe!"),
        ("customer", "any offers?"),
        ("bot", "Here is one:\n\nVeal paupiettes"),
        ("customer", "Yes please"),
        ("staff", "Anne (staff): Hello!"),
        ("customer", "thanks"),
    ]
    assert lines[-1]["channel"] == "whatsapp"
    assert lines[4]["agent"] == "Anne"


def test_the_history_keeps_the_most_recent_messages() -> None:
    many = [user(f"message {i}", float(i)) for i in range(80)]
    lines = recent_history(many, limit=50)
    assert len(lines) == 50
    assert lines[0]["text"] == "message 30" and lines[-1]["text"] == "message 79"
    assert recent_history(many, limit=0) == []
