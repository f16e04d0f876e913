"""A local stand-in for the Graph API's `POST /{version}/{phone-number-id}/messages`.

It checks what Meta checks (the bearer token, the message object's documented shape and limits),
answers Meta's documented response or error shape, and can be told to fail the next requests
(429 rate limits, 5xx, or a slow answer) to exercise the gateway's retries.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from rapport.stack import free_port

VERSION = "v21.0"
_ids = itertools.count(1)


def problems(message: object) -> list[str]:
    """What is wrong with a message object, by the Cloud API's documented rules ([] if none)."""
    if not isinstance(message, dict):
        return ["the body must be a JSON object"]
    found = []
    if message.get("messaging_product") != "whatsapp":
        found.append("messaging_product must be 'whatsapp'")
    if message.get("recipient_type", "individual") != "individual":
        found.append("recipient_type must be 'individual'")
    to = message.get("to")
    if not isinstance(to, str) or not to.lstrip("+").isdigit():
        found.append("to must be a phone number")
    kind = message.get("type", "text")
    content = message.get(kind)
    if not isinstance(content, dict):
        return [*found, f"missing the {kind!r} object"]
    if kind == "text":
        body = content.get("body")
        if not isinstance(body, str) or not 1 <= len(body) <= 4096:
            found.append("text.body must be 1-4096 characters")
    elif kind == "interactive":
        found.extend(_interactive_problems(content))
    elif kind == "template":
        if not isinstance(content.get("name"), str) or not content["name"]:
            found.append("template.name is required")
        language = content.get("language")
        if not isinstance(language, dict) or not isinstance(language.get("code"), str):
            found.append("template.language.code is required")
        found.extend(_component_problems(content.get("components", [])))
    elif kind == "image":
        if not (content.get("link") or content.get("id")):
            found.append("image needs a link or an id")
    else:
        found.append(f"type {kind!r} is not supported by this stand-in")
    return found


def _component_problems(components: object) -> list[str]:
    """A template's components: body/header parameters, and buttons by sub_type and index."""
    if not isinstance(components, list):
        return ["template.components must be a list"]
    found = []
    for component in components:
        if not isinstance(component, dict) or component.get("type") not in (
            "header",
            "body",
            "button",
        ):
            found.append("each component's type is header, body or button")
            continue
        parameters = component.get("parameters")
        if not isinstance(parameters, list) or not all(
            isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
            for p in parameters
        ):
            found.append("component parameters are a list of {type: text, text}")
        if component["type"] == "button" and (
            component.get("sub_type") not in ("quick_reply", "url", "copy_code")
            or not str(component.get("index", "")).isdigit()
        ):
            found.append("a button component needs a sub_type and an index")
    return found


def _interactive_problems(content: dict[str, Any]) -> list[str]:
    found = []
    body = content.get("body")
    text = body.get("text") if isinstance(body, dict) else None
    action = content.get("action") if isinstance(content.get("action"), dict) else {}
    if content.get("type") == "button":
        if not isinstance(text, str) or not 1 <= len(text) <= 1024:
            found.append("interactive.body.text must be 1-1024 characters for buttons")
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            return [*found, "action.buttons must hold 1-3 buttons"]
        ids, titles = [], []
        for button in buttons:
            reply = button.get("reply") if isinstance(button, dict) else None
            if button.get("type") != "reply" or not isinstance(reply, dict):
                found.append("each button must be {'type': 'reply', 'reply': {...}}")
                continue
            ids.append(reply.get("id"))
            titles.append(reply.get("title"))
            if not isinstance(reply.get("id"), str) or not 1 <= len(reply["id"]) <= 256:
                found.append("button reply.id must be 1-256 characters")
            if not isinstance(reply.get("title"), str) or not 1 <= len(reply["title"]) <= 20:
                found.append(f"button title {reply.get('title')!r} must be 1-20 characters")
        if len(set(map(str, ids))) != len(ids) or len(set(map(str, titles))) != len(titles):
            found.append("button ids and titles must be unique")
    elif content.get("type") == "list":
        if not isinstance(text, str) or not 1 <= len(text) <= 4096:
            found.append("interactive.body.text must be 1-4096 characters for lists")
        label = action.get("button")
        if not isinstance(label, str) or not 1 <= len(label) <= 20:
            found.append("action.button must be 1-20 characters")
        sections = action.get("sections")
        if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
            return [*found, "action.sections must hold 1-10 sections"]
        rows = [r for s in sections if isinstance(s, dict) for r in s.get("rows") or []]
        if not 1 <= len(rows) <= 10:
            found.append("a list holds 1-10 rows in all")
        for section in sections:
            title = section.get("title") if isinstance(section, dict) else None
            if title is not None and len(str(title)) > 24:
                found.append("section title at most 24 characters")
        for row in rows:
            if not isinstance(row.get("id"), str) or not 1 <= len(row["id"]) <= 200:
                found.append("row id must be 1-200 characters")
            if not isinstance(row.get("title"), str) or not 1 <= len(row["title"]) <= 24:
                found.append(f"row title {row.get('title')!r} must be 1-24 characters")
            if len(str(row.get("description", ""))) > 72:
                found.append("row description at most 72 characters")
    else:
        found.append(f"interactive type {content.get('type')!r} is not supported here")
    return found


def graph_error(status: int, code: int, message: str, kind: str = "OAuthException") -> web.Response:
    return web.json_response(
        {
            "error": {
                "message": message,
                "type": kind,
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": message},
                "fbtrace_id": "AbCdEfGhIjK",
            }
        },
        status=status,
    )


@dataclass
class Failure:
    status: int
    code: int
    message: str
    retry_after: str | None = None
    delay_s: float = 0.0


@dataclass
class GraphStandIn:
    access_token: str
    phone_number_id: str
    version: str = VERSION
    sent: list[dict[str, Any]] = field(default_factory=list)  # accepted message objects
    refused: list[tuple[int, Any]] = field(default_factory=list)
    attempts: int = 0
    failures: list[Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, *failures: Failure) -> None:
        with self._lock:
            self.failures.extend(failures)

    def to(self, wa_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.sent if m.get("to") == wa_id]

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{version}/{phone_number_id}/messages", self.messages)
        return app

    async def messages(self, request: web.Request) -> web.Response:
        with self._lock:
            self.attempts += 1
            failure = self.failures.pop(0) if self.failures else None
        if request.match_info["version"] != self.version:
            return graph_error(400, 2500, f"Unknown path components: {request.path}")
        if request.headers.get("Authorization") != f"Bearer {self.access_token}":
            return graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if request.match_info["phone_number_id"] != self.phone_number_id:
            return graph_error(
                400, 100, "Unsupported post request. Object does not exist", "GraphMethodException"
            )
        try:
            message = await request.json()
        except ValueError:
            return graph_error(400, 100, "(#100) The parameter messaging_product is required.")
        if failure is not None:
            if failure.delay_s:
                await asyncio.sleep(failure.delay_s)
            response = graph_error(failure.status, failure.code, failure.message)
            if failure.retry_after is not None:
                response.headers["Retry-After"] = failure.retry_after
            with self._lock:
                self.refused.append((failure.status, message))
            return response
        wrong = problems(message)
        if wrong:
            with self._lock:
                self.refused.append((400, message))
            return graph_error(400, 100, "(#100) Invalid parameter: " + "; ".join(wrong))
        with self._lock:
            self.sent.append(message)
        result: dict[str, Any] = {"id": f"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI{next(_ids):010d}QA="}
        if message.get("type") == "template":
            result["message_status"] = "accepted"
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": message["to"], "wa_id": message["to"].lstrip("+")}],
                "messages": [result],
            }
        )


class StandInThread:
    """The stand-in served from its own thread and loop, for tests whose gateway is a process."""

    def __init__(self, standin: GraphStandIn) -> None:
        self.standin = standin
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.standin.version}"

    def start(self) -> StandInThread:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.standin.make_app())
        await self._runner.setup()
        self.port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
