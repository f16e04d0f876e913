"""Writing one turn of the bot as one email, and reading a customer's "2" back as a button.

Pure functions: no I/O. A turn's messages become one plain-text + simple HTML mail; buttons
become numbered choices that the customer answers with the number or with the choice's words.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from email import policy as email_policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any


@dataclass(frozen=True)
class Choice:
    number: int
    title: str
    payload: str


def choices_of(messages: list[dict[str, Any]]) -> list[Choice]:
    """The turn's buttons, numbered from 1 across all its messages, in order."""
    found: list[Choice] = []
    for message in messages:
        for button in message.get("buttons") or []:
            if not isinstance(button, dict):
                continue
            title = str(button.get("title") or "").strip()
            payload = str(button.get("payload") or title).strip()
            if title or payload:
                found.append(Choice(len(found) + 1, title or payload, payload))
    return found


def _fold(text: str) -> str:
    """Lower-case, accents and punctuation removed: how a customer's words are compared."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


_NUMBER = re.compile(r"^\s*(?:n°|no\.?|#|option|choice|choix)?\s*\(?(\d{1,2})\s*[.)]?\s*[.!]?\s*$")


def match_choice(text: str, choices: list[Choice]) -> str | None:
    """The payload the customer picked with "2", "2.", "(2)" or the choice's words; else None."""
    if not choices:
        return None
    first_line = next((line for line in text.strip().splitlines() if line.strip()), "")
    number = _NUMBER.match(first_line.casefold())
    if number:
        wanted = int(number.group(1))
        for choice in choices:
            if choice.number == wanted:
                return choice.payload
        return None
    said = _fold(first_line)
    if not said:
        return None
    for choice in choices:
        if said == _fold(choice.title):
            return choice.payload
    return None


def _image_url(message: dict[str, Any]) -> str | None:
    image = message.get("image")
    return image if isinstance(image, str) and image.startswith(("http://", "https://")) else None


def render_plain(messages: list[dict[str, Any]], signature: str) -> str:
    """The turn as plain text: each message a paragraph, buttons as numbered lines."""
    paragraphs: list[str] = []
    number = 0
    for message in messages:
        text = str(message.get("text") or "").strip()
        if text:
            paragraphs.append(text)
        url = _image_url(message)
        if url:
            paragraphs.append(url)
        lines = []
        for button in message.get("buttons") or []:
            if isinstance(button, dict) and (button.get("title") or button.get("payload")):
                number += 1
                lines.append(f"  {number}. {str(button.get('title') or button.get('payload'))}")
        if lines:
            paragraphs.append("\n".join(lines))
    if number:
        paragraphs.append("Reply with the number of your choice (or its words).")
    paragraphs.append(f"-- \n{signature}")
    return "\n\n".join(paragraphs) + "\n"


def render_html(messages: list[dict[str, Any]], signature: str) -> str:
    """The same turn as simple HTML: paragraphs and an ordered list; no remote styles."""
    parts: list[str] = []
    number = 0
    for message in messages:
        text = str(message.get("text") or "").strip()
        if text:
            for paragraph in re.split(r"\n\s*\n", text):
                parts.append("<p>" + html.escape(paragraph).replace("\n", "<br>") + "</p>")
        url = _image_url(message)
        if url:
            escaped = html.escape(url, quote=True)
            parts.append(f'<p><a href="{escaped}">{escaped}</a></p>')
        items = []
        for button in message.get("buttons") or []:
            if isinstance(button, dict) and (button.get("title") or button.get("payload")):
                number += 1
                title = html.escape(str(button.get("title") or button.get("payload")))
                items.append(f"<li>{title}</li>")
        if items:
            parts.append(f'<ol start="{number - len(items) + 1}">' + "".join(items) + "</ol>")
    if number:
        parts.append("<p><em>Reply with the number of your choice (or its words).</em></p>")
    parts.append(f"<p>-- <br>{html.escape(signature)}</p>")
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        '<body style="font-family: sans-serif">' + "".join(parts) + "</body></html>"
    )


class MessageIdsHeader:
    """`In-Reply-To` / `References`: message ids, folded only *between* ids, never encoded.

    The standard library treats these as unstructured text and writes an id longer than a
    line (Outlook's are ~80 characters) as an RFC 2047 encoded word, which no mail client
    matches, so the reply fell out of the customer's thread. RFC 5322 §3.6.4 allows folding
    between ids only; a single id stays whole on its line (up to 998 characters).
    (A header class for `email.headerregistry.HeaderRegistry`, mixed with its BaseHeader.)
    """

    max_count = 1

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        kwds["decoded"] = " ".join(re.findall(r"<[^<>\s]+>", str(value)))
        kwds["parse_tree"] = None

    def fold(self, *, policy: email_policy.Policy) -> str:
        name = str(self.name)  # type: ignore[attr-defined]
        limit = policy.max_line_length or 78
        lines = [f"{name}:"]
        for mid in str(self).split():
            if len(lines[-1]) + 1 + len(mid) > limit and lines[-1] != f"{name}:":
                lines.append("")
            lines[-1] += f" {mid}"
        return policy.linesep.join(lines) + policy.linesep


def _header_registry() -> HeaderRegistry:
    registry = HeaderRegistry()
    registry.map_to_type("in-reply-to", MessageIdsHeader)  # type: ignore[arg-type]
    registry.map_to_type("references", MessageIdsHeader)  # type: ignore[arg-type]
    return registry


# The default policy, except for the two headers that carry message ids.
MAIL_POLICY = email_policy.default.clone(header_factory=_header_registry())


def reply_subject(subject: str) -> str:
    """`Re: <subject>`, without piling up `Re: Re:` or `RE: TR:` prefixes."""
    bare = re.sub(r"^\s*(?:(?:re|aw|tr|fwd?|réf)\s*(?:\[\d+\])?\s*:\s*)+", "", subject, flags=re.I)
    return f"Re: {bare}" if bare else "Re: your message"


def compose(
    *,
    shop_address: str,
    shop_name: str,
    to: str,
    subject: str,
    messages: list[dict[str, Any]],
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    automatic: bool = True,
) -> EmailMessage:
    """One email carrying all the bot's messages of a turn, threaded under the customer's mail.

    `automatic` marks it `Auto-Submitted: auto-replied` (RFC 3834): well-behaved responders
    then do not answer it, which is the other half of loop prevention.
    """
    mail = EmailMessage(policy=MAIL_POLICY)
    mail["From"] = formataddr((shop_name, shop_address))
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    domain = shop_address.rpartition("@")[2] or "rapport.invalid"
    mail["Message-ID"] = make_msgid(domain=domain)
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        chain = [r for r in (references or []) if r != in_reply_to] + [in_reply_to]
        # Keep the thread root and the latest ids: some servers refuse very long headers.
        if len(chain) > 20:
            chain = chain[:1] + chain[-19:]
        mail["References"] = " ".join(chain)
    if automatic:
        mail["Auto-Submitted"] = "auto-replied"
    mail.set_content(render_plain(messages, shop_name))
    mail.add_alternative(render_html(messages, shop_name), subtype="html")
    return mail
