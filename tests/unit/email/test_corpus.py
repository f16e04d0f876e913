"""The customer's new text, extracted from real-shaped replies of the common mail clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.email.parsing import parse_mail

CORPUS = Path(__file__).parent / "corpus"
MAILS = sorted(CORPUS.glob("*.eml"))


def test_the_corpus_covers_the_common_clients() -> None:
    names = " ".join(p.stem for p in MAILS)
    assert len(MAILS) >= 15
    for client in ("gmail", "outlook", "apple", "thunderbird", "html_only", "fr", "en"):
        assert client in names, client
    assert all(p.with_suffix(".expected.txt").exists() for p in MAILS)


@pytest.mark.parametrize("path", MAILS, ids=[p.stem for p in MAILS])
def test_extracts_the_new_text(path: Path) -> None:
    mail = parse_mail(path.read_bytes())
    expected = path.with_suffix(".expected.txt").read_text(encoding="utf-8").strip()
    assert mail.text == expected
    assert mail.automated is None
    assert mail.message_id.startswith("<") and mail.message_id.endswith(">")
    assert mail.references, "every corpus mail answers one of ours"
