"""One email per turn; buttons as numbered choices, answered by number or by words."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from channels.email.rendering import (
    choices_of,
    compose,
    match_choice,
    render_plain,
    reply_subject,
)

TURN = [
    {"recipient_id": "c1", "text": "Here are this week's offers:"},
    {
        "recipient_id": "c1",
        "text": "Which one?",
        "buttons": [
            {"title": "Veal paupiettes", "payload": '/choose_offer{"id": "o1"}'},
            {"title": "Comté 24 months", "payload": '/choose_offer{"id": "o2"}'},
        ],
    },
    {"recipient_id": "c1", "buttons": [{"title": "No thanks", "payload": "/deny"}]},
]


def test_all_messages_of_a_turn_in_one_plain_text_with_numbered_choices() -> None:
    text = render_plain(TURN, "The Gourmet Butcher")
    assert text.index("Here are this week's offers:") < text.index("Which one?")
    assert "  1. Veal paupiettes" in text
    assert "  2. Comté 24 months" in text
    assert "  3. No thanks" in text
    assert "Reply with the number" in text
    assert text.rstrip().endswith("-- \nThe Gourmet Butcher")


@pytest.mark.parametrize(
    ("reply", "payload"),
    [
        ("2", '/choose_offer{"id": "o2"}'),
        (" 2. ", '/choose_offer{"id": "o2"}'),
        ("(1)", '/choose_offer{"id": "o1"}'),
        ("#3", "/deny"),
        ("comte 24 months", '/choose_offer{"id": "o2"}'),
        ("No thanks!", "/deny"),
        ("VEAL PAUPIETTES\n\nthanks", '/choose_offer{"id": "o1"}'),
        ("7", None),
        ("I love veal paupiettes", None),
        ("", None),
    ],
)
def test_a_reply_maps_back_to_the_button(reply: str, payload: str | None) -> None:
    assert match_choice(reply, choices_of(TURN)) == payload


def test_no_choices_no_mapping() -> None:
    assert match_choice("2", []) is None


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Hello", "Re: Hello"),
        ("Re: Hello", "Re: Hello"),
        ("RE: TR: Re: Hello", "Re: Hello"),
        ("", "Re: your message"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_the_answer_is_threaded_and_marked_automatic() -> None:
    mail = compose(
        shop_address="shop@rapport.test",
        shop_name="The Gourmet Butcher",
        to="anne@example.com",
        subject="Re: Hello",
        messages=TURN,
        in_reply_to="<c2@example.com>",
        references=["<root@rapport.test>", "<c2@example.com>"],
    )
    parsed = message_from_bytes(mail.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["In-Reply-To"] == "<c2@example.com>"
    assert parsed["References"] == "<root@rapport.test> <c2@example.com>"
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert str(parsed["Message-ID"]).endswith("@rapport.test>")
    assert parsed.get_content_type() == "multipart/alternative"
    html_part = parsed.get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content()  # type: ignore[attr-defined]
    assert '<ol start="1"><li>Veal paupiettes</li><li>Comté 24 months</li></ol>' in html
    assert '<ol start="3"><li>No thanks</li></ol>' in html


def test_html_escapes_the_bots_text() -> None:
    mail = compose(
        shop_address="shop@rapport.test",
        shop_name="Shop",
        to="a@example.com",
        subject="Re: x",
        messages=[{"text": "<script>alert(1)</script>"}],
    )
    html_part = mail.get_body(preferencelist=("html",))
    assert html_part is not None
    assert "<script>" not in html_part.get_content()  # type: ignore[attr-defined]


# Message ids as the big clients write them, at the lengths that broke threading.
OUTLOOK_80 = "<VI1PR08MB5325B2E1F5B0E5F3A8C9D3E2C4E50@VI1PR08MB5325.eurprd08.prod.outlook.com>"
GMAIL_120 = (
    "<CAJ+Yx3pYxQvR2z4-1kF8nWq0b6pN5eG_7yXhK9sT3uJmLw2+AbCdEfGhIjKlMnOpQrStUvWxYz"
    "0123456789aBcDeFgHiJkLmN0p=Q@mail.gmail.com>"
)
APPLE_MAIL = "<5F3C1E2A-9B8D-4C7E-A1F0-2D3E4B5C6D7E@icloud.com>"


def _raw_header(raw: bytes, name: str) -> str:
    """The header's value as sent, unfolded (CRLF + WSP removed) but not decoded."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ")
    [line] = [h for h in unfolded.split("\r\n") if h.lower().startswith(name.lower() + ":")]
    return line.split(":", 1)[1].strip()


@pytest.mark.parametrize("customer_id", [OUTLOOK_80, GMAIL_120, APPLE_MAIL])
def test_reply_ids_are_written_whole_whatever_their_length(customer_id: str) -> None:
    assert len(OUTLOOK_80) == 80 and len(GMAIL_120) == 120
    mail = compose(
        shop_address="shop@example.com",
        shop_name="The Gourmet Butcher",
        to="customer@example.com",
        subject="Re: Hello",
        messages=TURN,
        in_reply_to=customer_id,
        references=[APPLE_MAIL, OUTLOOK_80, GMAIL_120],
    )
    raw = mail.as_bytes(policy=policy.SMTP)  # what aiosmtplib puts on the wire
    assert b"=?" not in raw.split(b"\r\n\r\n", 1)[0], "no encoded word in any header"
    assert _raw_header(raw, "In-Reply-To") == customer_id
    references = _raw_header(raw, "References").split(" ")
    assert references[-1] == customer_id
    assert set(references) == {APPLE_MAIL, OUTLOOK_80, GMAIL_120}
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert max(len(line) for line in head) <= 998
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["In-Reply-To"] == customer_id
