"""Rasa's REST messages rendered as the `bot_uttered` payloads Rasa's socketio channel emits."""

from __future__ import annotations

from channels.rest import for_caller
from channels.webchat import render_bot_message


def test_text_is_split_into_paragraph_bubbles() -> None:
    message = {"recipient_id": "c1", "text": "Hello Philippe!\n\nWhat can I do for you?"}

    assert render_bot_message(message) == [
        {"text": "Hello Philippe!"},
        {"text": "What can I do for you?"},
    ]


def test_buttons_become_quick_replies_on_the_last_bubble() -> None:
    message = {
        "recipient_id": "c1",
        "text": "Two offers today.\n\nWhich one?",
        "buttons": [
            {"title": "Veal paupiettes", "payload": '/choose_offer{"offer": "o1"}'},
            {"title": "Comté 24 months", "payload": '/choose_offer{"offer": "o2"}'},
        ],
    }

    assert render_bot_message(message) == [
        {"text": "Two offers today.", "quick_replies": []},
        {
            "text": "Which one?",
            "quick_replies": [
                {
                    "content_type": "text",
                    "title": "Veal paupiettes",
                    "payload": '/choose_offer{"offer": "o1"}',
                },
                {
                    "content_type": "text",
                    "title": "Comté 24 months",
                    "payload": '/choose_offer{"offer": "o2"}',
                },
            ],
        },
    ]


def test_image_becomes_an_image_attachment() -> None:
    message = {"recipient_id": "c1", "image": "https://shop.example/paupiettes.jpg"}

    assert render_bot_message(message) == [
        {"attachment": {"type": "image", "payload": {"src": "https://shop.example/paupiettes.jpg"}}}
    ]


def test_custom_payload_passes_as_is_and_data_is_unwrapped_like_rasa() -> None:
    assert render_bot_message({"custom": {"handoff": True}}) == [{"handoff": True}]
    assert render_bot_message({"custom": {"data": {"kind": "offer_card"}}}) == [
        {"kind": "offer_card"}
    ]


def test_attachment_is_wrapped_like_rasa() -> None:
    attachment = {"type": "file", "payload": {"src": "https://shop.example/menu.pdf"}}

    assert render_bot_message({"attachment": attachment}) == [{"attachment": attachment}]


def test_malformed_buttons_are_skipped_not_fatal() -> None:
    rendered = render_bot_message({"text": "Pick", "buttons": ["oops", {"title": "Yes"}]})

    assert rendered == [
        {"text": "Pick", "quick_replies": [{"content_type": "text", "title": "Yes", "payload": ""}]}
    ]


def test_a_message_with_nothing_renderable_emits_nothing() -> None:
    assert render_bot_message({"recipient_id": "c1"}) == []


def test_rest_reply_is_readdressed_to_the_caller() -> None:
    message = {"recipient_id": "customer-uuid", "text": "Hi"}

    assert for_caller(message, "pos-7") == {"recipient_id": "pos-7", "text": "Hi"}
