"""What counts as an acceptable message, before anything is written or sent."""

from __future__ import annotations

import pytest

from channels.conversation import RejectedMessage, check_address, clean_text
from channels.webchat import parse_user_uttered


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_message"),
        ("   \n\t ", "empty_message"),
        ("\x00\x07", "empty_message"),
        ("x" * 11, "message_too_long"),
        (None, "invalid_message"),
        (12, "invalid_message"),
        (["hi"], "invalid_message"),
        ({"text": "hi"}, "invalid_message"),
        ("hi \ud83d", "invalid_message"),  # a lone surrogate cannot be encoded as UTF-8
    ],
)
def test_bad_text_is_refused_with_a_reason(text: object, code: str) -> None:
    with pytest.raises(RejectedMessage) as refused:
        clean_text(text, max_chars=10)

    assert refused.value.code == code
    assert refused.value.message


def test_clean_text_strips_control_characters_and_outer_whitespace() -> None:
    assert (
        clean_text("  a\x00b\x1bc\r\nd\te\u200d\U0001f969  ", max_chars=50)
        == "abc\nd\te\u200d\U0001f969"
    )


def test_length_counts_characters_after_cleaning() -> None:
    assert clean_text("é" * 10, max_chars=10) == "é" * 10
    assert clean_text("  " + "a" * 10 + "\x00\x00  ", max_chars=10) == "a" * 10


@pytest.mark.parametrize("address", ["", "   ", None, 7, "a\nb", "x" * 321, "bad \udc00"])
def test_bad_addresses_are_refused(address: object) -> None:
    with pytest.raises(RejectedMessage) as refused:
        check_address(address)

    assert refused.value.code == "invalid_sender"


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "hello",
        ["hello"],
        {"session_id": "s"},
        {"message": "hi"},
        {"message": 3, "session_id": "s"},
        {"message": "hi", "session_id": None},
        {"message": "hi", "session_id": "s", "customData": "en"},
    ],
)
def test_malformed_user_uttered_payloads_are_refused(payload: object) -> None:
    with pytest.raises(RejectedMessage) as refused:
        parse_user_uttered(payload)

    assert refused.value.code == "malformed_payload"


def test_rasa_webchat_payload_is_accepted() -> None:
    parsed = parse_user_uttered(
        {"message": "hi", "session_id": "s", "customData": {"language": "en"}}
    )

    assert (parsed.message, parsed.session_id, parsed.custom_data) == (
        "hi",
        "s",
        {"language": "en"},
    )
