"""The bot's messages rendered as WhatsApp Cloud API message objects (pure, no I/O).

Limits are WhatsApp's: a text body at most 4,096 characters; reply buttons at most 3 with titles
of at most 20 characters and a body of at most 1,024; a list at most 10 rows with titles of at
most 24 and descriptions of at most 72 characters.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

TEXT_MAX = 4096
BUTTON_BODY_MAX = 1024
LIST_BODY_MAX = 4096
MAX_BUTTONS = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
MAX_ROWS = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
LIST_BUTTON_LABEL = "See the choices"  # at most 20 characters
DEFAULT_PROMPT = "Please choose:"


@dataclass(frozen=True)
class Choice:
    id: str
    title: str


@dataclass(frozen=True)
class Template:
    """An approved template message: its name, language and the body's {{1}}, {{2}}... values."""

    name: str
    language: str = "en"
    body_parameters: tuple[str, ...] = ()
    # An authentication template's one-time code: its copy-code button carries it too.
    code: str | None = None


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Cut a long text into parts of at most `limit` characters, at paragraph, line or word ends."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = -1
        for separator in ("\n\n", "\n", ". ", " "):
            cut = window.rfind(separator)
            if cut > limit // 2:
                cut += len(separator)
                break
        if cut <= limit // 2:
            cut = limit  # one long word: cut it rather than exceed the limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def _envelope(to: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": kind,
        kind: content,
    }


def text_message(to: str, body: str) -> dict[str, Any]:
    return _envelope(to, "text", {"preview_url": False, "body": body})


def template_message(to: str, template: Template) -> dict[str, Any]:
    content: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
    components: list[dict[str, Any]] = []
    if template.body_parameters:
        components.append(
            {
                "type": "body",
                "parameters": [{"type": "text", "text": p} for p in template.body_parameters],
            }
        )
    if template.code is not None:
        # Meta's authentication templates: the code fills the preset body and the copy-code
        # button (a URL button at index 0 once the template is approved).
        components += [
            {"type": "body", "parameters": [{"type": "text", "text": template.code}]},
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": template.code}],
            },
        ]
    if components:
        content["components"] = components
    return _envelope(to, "template", content)


def _unique(choices: Sequence[Choice]) -> list[Choice]:
    # WhatsApp refuses two buttons (or rows) with the same id.
    seen: set[str] = set()
    unique = []
    for choice in choices:
        if choice.id not in seen:
            seen.add(choice.id)
            unique.append(choice)
    return unique


def choices_message(to: str, body: str, choices: Sequence[Choice]) -> dict[str, Any]:
    """Reply buttons when they fit (≤ 3, short titles), else a list of at most 10 rows."""
    choices = _unique(choices)
    body = body or DEFAULT_PROMPT
    fits_buttons = len(choices) <= MAX_BUTTONS and all(
        len(c.title) <= BUTTON_TITLE_MAX and len(c.id) <= BUTTON_ID_MAX for c in choices
    )
    if fits_buttons and len(body) <= BUTTON_BODY_MAX:
        return _envelope(
            to,
            "interactive",
            {
                "type": "button",
                "body": {"text": body},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": c.id, "title": c.title}} for c in choices
                    ]
                },
            },
        )
    if len(choices) > MAX_ROWS:
        log.warning("%d choices for WhatsApp, only the first %d are shown", len(choices), MAX_ROWS)
    rows = []
    for c in choices[:MAX_ROWS]:
        row: dict[str, Any] = {"id": c.id[:ROW_ID_MAX], "title": _shorten(c.title, ROW_TITLE_MAX)}
        if len(c.title) > ROW_TITLE_MAX:
            # The full words stay readable under the shortened title.
            row["description"] = _shorten(c.title, ROW_DESCRIPTION_MAX)
        rows.append(row)
    return _envelope(
        to,
        "interactive",
        {
            "type": "list",
            "body": {"text": body[:LIST_BODY_MAX]},
            "action": {
                "button": LIST_BUTTON_LABEL,
                "sections": [{"title": "Choices", "rows": rows}],
            },
        },
    )


def _choices(buttons: object) -> list[Choice]:
    choices = []
    for button in buttons if isinstance(buttons, list) else []:
        if not isinstance(button, dict):
            continue
        title = str(button.get("title") or "").strip()
        # The payload is what Rasa expects back, exactly as its own channels send it.
        payload = str(button.get("payload") or title).strip()
        if title and payload:
            choices.append(Choice(id=payload, title=title))
    return choices


def render(to: str, message: dict[str, Any]) -> list[dict[str, Any]]:
    """One bot message as one or more WhatsApp messages, in order."""
    custom = message.get("custom")
    if isinstance(custom, dict) and isinstance(custom.get("whatsapp"), dict):
        # A designer's own WhatsApp message object, sent as given.
        native = custom["whatsapp"]
        return [
            {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **native}
        ]
    rendered: list[dict[str, Any]] = []
    image = message.get("image")
    if isinstance(image, str) and image.startswith(("https://", "http://")):
        rendered.append(_envelope(to, "image", {"link": image}))
    text = str(message.get("text") or "").strip()
    choices = _choices(message.get("buttons"))
    if choices:
        body_limit = BUTTON_BODY_MAX if len(choices) <= MAX_BUTTONS else LIST_BODY_MAX
        parts = split_text(text, body_limit) if text else [""]
        # Leading parts go as text, so the choices stay with the end of what the bot said.
        rendered.extend(text_message(to, part) for part in parts[:-1])
        rendered.append(choices_message(to, parts[-1], choices))
    elif text:
        rendered.extend(text_message(to, part) for part in split_text(text))
    return rendered


def render_all(to: str, messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [out for message in messages for out in render(to, message)]
