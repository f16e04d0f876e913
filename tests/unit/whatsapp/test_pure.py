"""Signature, parsing, rendering and the channel's rules: pure functions, no servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from channels import keywords
from channels.whatsapp import policy
from channels.whatsapp.payload import MalformedNotification, parse_notification
from channels.whatsapp.render import (
    Template,
    render,
    render_all,
    split_text,
    template_message,
)
from channels.whatsapp.signature import sign, verify_signature
from tests.e2e.whatsapp import meta
from tests.e2e.whatsapp.standin import problems

WA = "16505551234"


def test_signature_is_the_hmac_of_the_exact_body() -> None:
    raw, headers = meta.signed(meta.text(WA, "hi"))
    header = headers["X-Hub-Signature-256"]
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_signature(raw, header, meta.APP_SECRET)
    assert not verify_signature(raw + b" ", header, meta.APP_SECRET)
    assert not verify_signature(raw, header, "another-secret")
    assert not verify_signature(raw, None, meta.APP_SECRET)
    assert not verify_signature(raw, header.removeprefix("sha256="), meta.APP_SECRET)
    assert not verify_signature(raw, sign(raw, ""), "")  # no secret configured: nothing passes


def test_parses_every_documented_message_kind() -> None:
    cases = [
        (meta.text(WA, "I love Comté"), "text", "I love Comté"),
        (meta.button_reply(WA, "/affirm", "Yes"), "button_reply", "/affirm"),
        (meta.list_reply(WA, "row-2", "Veal", "Veal paupiettes"), "list_reply", "row-2"),
        (meta.image(WA), "image", None),
        (meta.audio(WA), "audio", None),
        (meta.sticker(WA), "sticker", None),
        (meta.location(WA), "location", None),
        (meta.unsupported(WA), "unsupported", None),
        (meta.reaction(WA, "wamid.X"), "reaction", None),
    ]
    for payload, kind, text in cases:
        [message] = parse_notification(payload).messages
        assert (message.kind, message.text) == (kind, text)
        assert message.wa_id == WA
        assert message.profile_name == "Sheena Nelson"
        assert message.phone_number_id == meta.PHONE_NUMBER_ID
        assert message.message_id.startswith("wamid.")
        assert message.readable == (text is not None)


def test_parses_statuses_with_their_errors() -> None:
    [delivered] = parse_notification(meta.status("wamid.A", WA, "delivered")).statuses
    assert (delivered.provider_id, delivered.status, delivered.error) == (
        "wamid.A",
        "delivered",
        None,
    )
    [failed] = parse_notification(meta.status("wamid.B", WA, "failed")).statuses
    assert failed.status == "failed" and failed.error and "131026" in failed.error


@pytest.mark.parametrize(
    "body", [[], "x", {"object": "page", "entry": []}, {"object": "whatsapp_business_account"}]
)
def test_refuses_what_is_not_a_whatsapp_notification(body: object) -> None:
    with pytest.raises(MalformedNotification):
        parse_notification(body)


def test_skips_a_message_without_ids_but_keeps_the_others() -> None:
    payload = meta.text(WA, "hello")
    messages = payload["entry"][0]["changes"][0]["value"]["messages"]
    messages.insert(0, {"type": "text", "text": {"body": "no sender"}})
    assert [m.text for m in parse_notification(payload).messages] == ["hello"]


def test_long_text_is_split_under_4096_characters_at_word_ends() -> None:
    words = " ".join(f"word{i}" for i in range(2000))  # ~15,000 characters
    parts = split_text(words)
    assert all(len(p) <= 4096 for p in parts) and len(parts) >= 4
    assert " ".join(parts) == words
    rendered = render(WA, {"text": words})
    assert [m["text"]["body"] for m in rendered] == parts
    assert all(problems(m) == [] for m in rendered)


def test_up_to_three_short_buttons_become_reply_buttons() -> None:
    [message] = render(
        WA,
        {
            "text": "Just to be sure: you love Comté?",
            "buttons": [
                {"title": "Yes", "payload": "/affirm"},
                {"title": "No", "payload": "/deny"},
            ],
        },
    )
    assert problems(message) == []
    interactive = message["interactive"]
    assert interactive["type"] == "button"
    assert interactive["body"] == {"text": "Just to be sure: you love Comté?"}
    assert interactive["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "/affirm", "title": "Yes"}},
        {"type": "reply", "reply": {"id": "/deny", "title": "No"}},
    ]


def test_many_or_long_buttons_become_a_list_of_at_most_ten_rows() -> None:
    buttons = [
        {"title": f"Offer number {i} with a long name", "payload": f"/o{i}"} for i in range(12)
    ]
    [message] = render(WA, {"text": "Pick one", "buttons": buttons})
    assert problems(message) == []
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert message["interactive"]["type"] == "list"
    assert len(rows) == 10
    assert all(len(r["title"]) <= 24 for r in rows)
    assert rows[0]["description"] == "Offer number 0 with a long name"

    [four] = render(WA, {"text": "Pick", "buttons": buttons[:4]})
    assert four["interactive"]["type"] == "list"
    [long_title] = render(WA, {"text": "Pick", "buttons": [{"title": "x" * 21, "payload": "/x"}]})
    assert long_title["interactive"]["type"] == "list"


def test_a_long_text_with_buttons_keeps_the_buttons_with_its_end() -> None:
    text = "Here is a long story. " * 100  # 2,200 characters: more than a button body
    rendered = render(WA, {"text": text, "buttons": [{"title": "Yes", "payload": "/affirm"}]})
    assert [m["type"] for m in rendered] == ["text", "text", "interactive"]
    assert all(problems(m) == [] for m in rendered)


def test_images_and_native_whatsapp_messages() -> None:
    [image, caption] = render(WA, {"image": "https://example.com/veal.jpg", "text": "Veal"})
    assert image["image"] == {"link": "https://example.com/veal.jpg"} and caption["type"] == "text"
    native = {"type": "text", "text": {"body": "native"}}
    [sent] = render(WA, {"custom": {"whatsapp": native}})
    assert sent["to"] == WA and sent["text"] == {"body": "native"}
    assert render_all(WA, [{"text": ""}, {}]) == []


def test_offer_buttons_from_the_bot_become_reply_buttons_carrying_their_payload() -> None:
    offer = {
        "text": "Veal paupiettes weekend: two for one (-50%). I picked it because you love veal.",
        "buttons": [
            {"title": "Keep one for me", "payload": '/accept_offer{"offer_id": "veal-we"}'},
            {"title": "No thanks", "payload": '/decline_offer{"offer_id": "veal-we"}'},
        ],
    }
    [message] = render(WA, offer)
    assert problems(message) == []
    buttons = message["interactive"]["action"]["buttons"]
    assert [b["reply"]["title"] for b in buttons] == ["Keep one for me", "No thanks"]
    assert buttons[0]["reply"]["id"] == '/accept_offer{"offer_id": "veal-we"}'


def test_template_message_has_the_documented_shape() -> None:
    message = template_message(WA, Template("weekly_offer", "en", ("Sheena", "veal paupiettes")))
    assert problems(message) == []
    assert message["template"] == {
        "name": "weekly_offer",
        "language": {"code": "en"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Sheena"},
                    {"type": "text", "text": "veal paupiettes"},
                ],
            }
        ],
    }


@pytest.mark.parametrize(
    "text", ["STOP", "stop", " Stop! ", "Unsubscribe", "opt-out", "ARRÊT", "Stop all"]
)
def test_stop_variants(text: str) -> None:
    assert keywords.opt_word(text) is False


@pytest.mark.parametrize("text", ["stop sending me liver", "don't stop", "I love stopping by", ""])
def test_sentences_mentioning_stop_are_not_opt_outs(text: str) -> None:
    assert keywords.opt_word(text) is not False


def test_start_variants() -> None:
    assert (
        keywords.opt_word("START") is True
        and keywords.opt_word("Subscribe.") is True
        and keywords.opt_word("go") is not True
    )


def test_the_window_is_24_hours_after_the_last_customer_message() -> None:
    now = datetime(2026, 3, 3, 12, tzinfo=UTC)
    assert policy.in_service_window(now - timedelta(hours=23, minutes=59), now)
    assert not policy.in_service_window(now - timedelta(hours=24), now)
    assert not policy.in_service_window(None, now)


def test_unsupported_reply_names_what_was_sent() -> None:
    assert "voice message" in policy.unsupported_reply("audio")
    assert "photo" in policy.unsupported_reply("image")
    assert "message" in policy.unsupported_reply("something_new")


def test_an_authentication_template_carries_the_code_in_its_body_and_copy_button() -> None:
    message = template_message(WA, Template("link_code", "en", code="004211"))
    assert problems(message) == []
    assert message["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "004211"}]},
        {
            "type": "button",
            "sub_type": "url",
            "index": "0",
            "parameters": [{"type": "text", "text": "004211"}],
        },
    ]
