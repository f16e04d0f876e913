"""Web chat session ids: only ids this server signed are ever resumed."""

from __future__ import annotations

import hashlib

import pytest

from channels.webchat import confirm_session, issue_session_id, verify_session_id, web_address

SECRET = "s3cret-" * 6


def test_issued_ids_verify_and_are_unique() -> None:
    ids = {issue_session_id(SECRET) for _ in range(200)}

    assert len(ids) == 200
    assert all(verify_session_id(SECRET, i) for i in ids)


def test_an_issued_id_is_urlsafe_nonce_dot_mac() -> None:
    nonce, dot, mac = issue_session_id(SECRET).partition(".")

    assert dot == "."
    assert len(nonce) == 22 and len(mac) == 22  # 128 bits each, unpadded base64url
    assert set(nonce + mac) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )


def test_an_id_signed_with_another_secret_is_refused() -> None:
    assert not verify_session_id(SECRET, issue_session_id("another secret"))


def _flip_last(s: str) -> str:
    return s[:-1] + ("A" if s[-1] != "A" else "B")


@pytest.mark.parametrize(
    "forged",
    [
        None,
        "",
        42,
        ["a.b"],
        "not-a-session",
        "a" * 22 + "." + "b" * 22,
        "550e8400e29b41d4a716446655440000",  # what Rasa's own socketio channel would issue
    ],
)
def test_forged_or_malformed_ids_are_refused(forged: object) -> None:
    assert not verify_session_id(SECRET, forged)


def test_a_tampered_id_is_refused() -> None:
    genuine = issue_session_id(SECRET)
    nonce, _, mac = genuine.partition(".")

    assert not verify_session_id(SECRET, _flip_last(genuine))
    assert not verify_session_id(SECRET, f"{_flip_last(nonce)}.{mac}")
    assert not verify_session_id(SECRET, genuine + "x")


def test_confirm_resumes_a_signed_id_and_replaces_anything_else() -> None:
    genuine = issue_session_id(SECRET)

    assert confirm_session(SECRET, genuine) == genuine
    for requested in (None, "made-up", issue_session_id("other")):
        confirmed = confirm_session(SECRET, requested)
        assert confirmed != requested
        assert verify_session_id(SECRET, confirmed)


def test_the_stored_address_is_a_hash_not_the_bearer_id() -> None:
    session_id = issue_session_id(SECRET)

    assert web_address(session_id) == hashlib.sha256(session_id.encode()).hexdigest()
    assert session_id not in web_address(session_id)
