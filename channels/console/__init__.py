"""The staff console, served by the gateway under /console.

Pages and API:
  GET  /console                         the console (static page; the script does the rest)
  POST /console/api/login               {"username", "password"} → session cookie + CSRF token
  POST /console/api/logout
  GET  /console/api/me                  who is logged in, and the CSRF token
  GET  /console/api/queue               waiting conversations (oldest first) and active ones
  GET  /console/api/conversations/{id}  status, transcript (Rasa tracker), profile, action log
  POST /console/api/conversations/{id}/take | hand_back | close
  POST /console/api/conversations/{id}/reply   {"text"}
  POST /console/api/conversations/{id}/facts   {"subject", "polarity", "stated", "reason"?}
  POST /console/api/conversations/{id}/unlink  {"channel", "address"} → the updated export
  POST /console/api/conversations/{id}/erase   {"confirm": "<the customer's id>"}: erase them
  GET  /console/api/audit               the latest access audit lines (views, changes, erasures)
  GET  /console/ws                      live events (messages, status, profile changes, erasures)

Login is throttled: after RAPPORT_LOGIN_MAX_FAILURES wrong passwords for one account (or
RAPPORT_LOGIN_MAX_FAILURES_PER_ADDRESS from one client address) within RAPPORT_LOGIN_WINDOW_S,
further attempts get 429 and Retry-After without their password being checked.

Every POST but login needs the session cookie (HttpOnly, SameSite=Strict) and the
X-CSRF-Token header; every POST and the websocket refuse a foreign Origin. Staff may detach
one of a customer's identities, never attach one: linking takes the code sent to the address,
which only the customer has.

Every view of a profile and every change staff make to one is written to the access audit
(profile_store.audit) under the staff member's name; an erasure leaves only its own audit line,
which names the customer as a keyed hash.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from channels.console.auth import (
    COOKIE,
    CSRF_HEADER,
    RedisSessions,
    Sessions,
    StaffSession,
    StaffSessions,
    csrf_ok,
    same_origin,
)
from channels.delivery import deliver
from channels.handoff import (
    Actor,
    ConsoleHub,
    Handoff,
    HandoffRefused,
    RasaTracker,
    parse_schedule,
    transcript,
)
from channels.handoff.hub import RedisHub
from channels.keys import (
    conversation_key,
    http_client_key,
    redis_key,
    sessionmaker_key,
    settings_key,
)
from channels.limits import LoginThrottle, in_minutes, whole_seconds
from channels.rasa_client import RasaError
from channels.shared import redis_windows
from profile_store.audit import AuditAction, latest_audit, record_access
from profile_store.erasure import erase_everything
from profile_store.export import export_customer
from profile_store.handoff import (
    StaffAccount,
    conversation_of,
    events_of,
    find_staff,
    latest_inbound,
    recent_customers,
    record_event,
    verify_password,
    waiting_queue,
)
from profile_store.linking import identities_of, unlink
from profile_store.models import Customer, utcnow
from profile_store.privacy import compact_sqlite

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 16 * 1024
ACTIVE_WINDOW = timedelta(hours=24)

handoff_key = web.AppKey("handoff", Handoff)
staff_sessions_key = web.AppKey("staff_sessions", StaffSessions)
login_throttle_key = web.AppKey("login_throttle", LoginThrottle)


class _Sockets(set[web.WebSocketResponse]):
    """The open console sockets, closed on shutdown."""


_sockets_key = web.AppKey("console_sockets", _Sockets)

_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request, StaffSession], Awaitable[web.StreamResponse]]


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": message, "code": code}, status=status)


def _origin_ok(request: web.Request) -> bool:
    return same_origin(request.headers.get("Origin"), request.host, request.scheme)


async def _staff(request: web.Request) -> StaffSession | None:
    return await request.app[staff_sessions_key].get(request.cookies.get(COOKIE))


def _actor(session: StaffSession) -> Actor:
    return Actor("staff", session.staff_id, session.username, session.first_name)


def _by(session: StaffSession) -> str:
    """Who, in the words of the audit and link logs."""
    return f"staff:{session.username}"


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise HandoffRefused("body_too_large", "The request is too large.", 413)
    raw = await request.content.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise HandoffRefused("body_too_large", "The request is too large.", 413)
    try:
        body = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError) as exc:
        raise HandoffRefused("invalid_body", "The body is not JSON.", 400) from exc
    if not isinstance(body, dict):
        raise HandoffRefused("invalid_body", "The body must be a JSON object.", 400)
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise HandoffRefused("invalid_body", f"`{name}` must be text.", 400)
    return value


def staff_only(handler: Handler, *, changes_state: bool) -> Callable[..., Any]:
    """Require a login; for state-changing requests also the CSRF token and our Origin."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        session = await _staff(request)
        if session is None:
            return _error(401, "login_required", "Log in first.")
        if changes_state and not (
            _origin_ok(request) and csrf_ok(session, request.headers.get(CSRF_HEADER))
        ):
            return _error(403, "csrf", "Missing or wrong CSRF token.")
        try:
            return await handler(request, session)
        except HandoffRefused as refused:
            return _error(refused.status, refused.code, refused.message)
        except RasaError:
            return _error(503, "assistant_unavailable", "Rasa is unavailable; retry shortly.")

    return wrapped


# --- pages and login -------------------------------------------------------------------


async def page(request: web.Request) -> web.Response:
    return web.FileResponse(STATIC_DIR / "console.html", headers=_PAGE_HEADERS)  # type: ignore[return-value]


async def login(request: web.Request) -> web.Response:
    if not _origin_ok(request):
        return _error(403, "csrf", "Foreign origin.")
    try:
        body = await _json_body(request)
        username, password = _text(body, "username").strip(), _text(body, "password")
    except HandoffRefused as refused:
        return _error(refused.status, refused.code, refused.message)
    # request.remote is the peer, or the client a trusted proxy middleware names.
    address = request.remote or ""
    throttle = request.app[login_throttle_key]
    wait_s = await throttle.attempt(username, address)
    if wait_s:
        # Refused before the password is hashed: a throttled burst costs no CPU.
        throttled = _error(
            429, "too_many_attempts", f"Too many attempts: try again in {in_minutes(wait_s)}."
        )
        throttled.headers["Retry-After"] = str(whole_seconds(wait_s))
        return throttled
    sm = request.app[sessionmaker_key]

    def check() -> StaffAccount | None:
        with sm.begin() as db:
            account = find_staff(db, username)
            if not verify_password(account.password_hash if account else None, password):
                return None
            assert account is not None
            record_event(db, customer_id=None, action="login", actor="staff", staff_id=account.id)
            return account

    account = await asyncio.to_thread(check)
    if account is None:
        return _error(401, "bad_login", "Wrong username or password.")
    await throttle.succeeded(username, address)
    token, session = await request.app[staff_sessions_key].open(
        account.id, account.username, account.first_name
    )
    response = web.json_response(
        {"username": session.username, "first_name": session.first_name, "csrf": session.csrf}
    )
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/console",
        max_age=int(request.app[staff_sessions_key].ttl_s),
    )
    return response


async def logout(request: web.Request, session: StaffSession) -> web.Response:
    await request.app[staff_sessions_key].close(request.cookies.get(COOKIE))
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/console")
    return response


async def me(request: web.Request, session: StaffSession) -> web.Response:
    return web.json_response(
        {"username": session.username, "first_name": session.first_name, "csrf": session.csrf}
    )


# --- reads --------------------------------------------------------------------------------


async def queue(request: web.Request, session: StaffSession) -> web.Response:
    sm = request.app[sessionmaker_key]
    now = utcnow()

    def read() -> dict[str, Any]:
        with sm() as db:

            def row(customer_id: str) -> dict[str, Any]:
                customer = db.get(Customer, customer_id)
                conversation = conversation_of(db, customer_id)
                inbound = latest_inbound(db, customer_id)
                agent = (
                    db.get(StaffAccount, conversation.agent_id)
                    if conversation and conversation.agent_id
                    else None
                )
                since = conversation.waiting_since if conversation else None
                return {
                    "customer_id": customer_id,
                    "name": customer.name if customer else None,
                    "channel": inbound.channel if inbound else None,
                    "status": conversation.status.value if conversation else "bot",
                    "agent": agent.first_name if agent else None,
                    "waiting_since": since.isoformat() if since else None,
                    "waiting_s": int((now - since).total_seconds()) if since else None,
                    "last_message_at": inbound.received_at.isoformat() if inbound else None,
                }

            waiting = [row(c.customer_id) for c in waiting_queue(db)]
            waiting_ids = {w["customer_id"] for w in waiting}
            active = [
                row(cid)
                for cid, _at in recent_customers(db, now - ACTIVE_WINDOW)
                if cid not in waiting_ids
            ]
            return {"waiting": waiting, "active": active}

    return web.json_response(await asyncio.to_thread(read))


async def conversation(request: web.Request, session: StaffSession) -> web.Response:
    customer_id = request.match_info["customer_id"]
    sm = request.app[sessionmaker_key]

    def read() -> dict[str, Any] | None:
        with sm.begin() as db:
            if db.get(Customer, customer_id) is None:
                return None
            record_access(db, customer_id, AuditAction.VIEW_PROFILE, by=_by(session))
            current = conversation_of(db, customer_id)
            agent = db.get(StaffAccount, current.agent_id) if current and current.agent_id else None
            inbound = latest_inbound(db, customer_id)
            names = {a.id: a.first_name for a in db.query(StaffAccount)}
            return {
                "customer_id": customer_id,
                "status": current.status.value if current else "bot",
                "agent": agent.first_name if agent else None,
                "mine": bool(agent and agent.id == session.staff_id),
                "channel": inbound.channel if inbound else None,
                "profile": export_customer(db, customer_id),
                "log": [
                    {
                        "action": e.action,
                        "from": e.from_status,
                        "to": e.to_status,
                        "by": names.get(e.staff_id, e.actor) if e.staff_id else e.actor,
                        "at": e.at.isoformat(),
                    }
                    for e in events_of(db, customer_id)
                ],
            }

    found = await asyncio.to_thread(read)
    if found is None:
        return _error(404, "unknown_customer", "No such customer.")
    try:
        found["transcript"] = transcript(await request.app[handoff_key].tracker.events(customer_id))
    except RasaError:
        found["transcript"], found["transcript_error"] = [], "Rasa is unavailable."
    return web.json_response(found)


# --- staff actions ---------------------------------------------------------------------


async def take(request: web.Request, session: StaffSession) -> web.Response:
    handoff = request.app[handoff_key]
    status = await handoff.take(request.match_info["customer_id"], _actor(session))
    return web.json_response({"status": status.value})


async def hand_back(request: web.Request, session: StaffSession) -> web.Response:
    handoff = request.app[handoff_key]
    customer_id = request.match_info["customer_id"]
    await _must_hold(handoff, customer_id, session)
    status = await handoff.hand_back(customer_id, _actor(session))
    return web.json_response({"status": status.value})


async def close(request: web.Request, session: StaffSession) -> web.Response:
    handoff = request.app[handoff_key]
    customer_id = request.match_info["customer_id"]
    await _must_hold(handoff, customer_id, session)
    status = await handoff.close(customer_id, _actor(session))
    return web.json_response({"status": status.value})


async def _must_hold(handoff: Handoff, customer_id: str, session: StaffSession) -> None:
    """Only the agent who took a conversation hands it back or closes it (waiting: anyone)."""

    def check() -> None:
        with handoff.sessions() as db:
            current = conversation_of(db, customer_id)
            if current and current.agent_id is not None and current.agent_id != session.staff_id:
                raise HandoffRefused("not_yours", "Another agent has this conversation.")

    await asyncio.to_thread(check)


async def reply(request: web.Request, session: StaffSession) -> web.Response:
    body = await _json_body(request)
    shown = await request.app[handoff_key].reply(
        request.match_info["customer_id"], _actor(session), _text(body, "text")
    )
    return web.json_response({"sent": shown})


async def add_fact(request: web.Request, session: StaffSession) -> web.Response:
    customer_id = request.match_info["customer_id"]
    body = await _json_body(request)
    await request.app[handoff_key].add_fact(
        customer_id,
        _actor(session),
        subject=_text(body, "subject"),
        polarity=_text(body, "polarity"),
        stated=_text(body, "stated"),
        reason=_text(body, "reason") or None,
    )
    sm = request.app[sessionmaker_key]

    def audit() -> None:
        with sm.begin() as db:
            record_access(db, customer_id, AuditAction.ADD_FACT, by=_by(session))

    await asyncio.to_thread(audit)
    return web.json_response({"ok": True})


async def unlink_identity(request: web.Request, session: StaffSession) -> web.Response:
    """Detach one identity into a customer of its own; the facts stay with this customer."""
    customer_id = request.match_info["customer_id"]
    body = await _json_body(request)
    channel, address = _text(body, "channel").strip(), _text(body, "address").strip()
    if not channel or not address:
        raise HandoffRefused("invalid_body", "Give the identity's `channel` and `address`.", 400)
    sm = request.app[sessionmaker_key]

    def write() -> dict[str, Any]:
        with sm.begin() as db:
            if db.get(Customer, customer_id) is None:
                raise HandoffRefused("unknown_customer", "No such customer.", 404)
            if not unlink(db, customer_id, channel, address, by=_by(session)):
                # unlink refuses both; with a second identity left, this one was not theirs.
                if len(identities_of(db, customer_id)) > 1:
                    raise HandoffRefused(
                        "unknown_identity", "This customer has no such identity.", 404
                    )
                raise HandoffRefused(
                    "last_identity", "This is the customer's only identity; it stays.", 409
                )
            record_access(db, customer_id, AuditAction.UNLINK, by=_by(session))
            return export_customer(db, customer_id)

    profile = await asyncio.to_thread(write)
    request.app[handoff_key].hub.publish({"type": "profile", "customer_id": customer_id})
    return web.json_response(profile)


async def erase(request: web.Request, session: StaffSession) -> web.Response:
    """Erase the customer completely (profile, transcripts under every id they had), at once.

    The body must repeat the customer's id: one click on the wrong customer erases nothing.
    """
    customer_id = request.match_info["customer_id"]
    body = await _json_body(request)
    if _text(body, "confirm") != customer_id:
        raise HandoffRefused("not_confirmed", "To erase, give the customer's id in `confirm`.", 400)
    settings = request.app[settings_key]
    sm = request.app[sessionmaker_key]

    def write() -> None:
        with sm.begin() as db:
            if db.get(Customer, customer_id) is None:
                raise HandoffRefused("unknown_customer", "No such customer.", 404)
            erase_everything(
                db,
                customer_id,
                tracker_url=settings.tracker_db_url,
                by=_by(session),
                key=settings.suppression_key or None,
            )
            engine = db.get_bind()
        # Committed: now no deleted byte may stay in a SQLite file.
        compact_sqlite(engine)  # type: ignore[arg-type]

    # Between two of the customer's turns, so that none of this conversation is written back.
    async with request.app[conversation_key].customer_locks(customer_id):
        await asyncio.to_thread(write)
    # Not the id: the log outlives the customer. The audit line keeps a keyed hash.
    log.info("a customer was erased by staff:%s from the console", session.username)
    request.app[handoff_key].hub.publish({"type": "erased", "customer_id": customer_id})
    return web.json_response({"erased": True})


async def audit(request: web.Request, session: StaffSession) -> web.Response:
    sm = request.app[sessionmaker_key]

    def read() -> list[dict[str, Any]]:
        with sm() as db:
            return [
                {
                    "at": line.at.isoformat(),
                    "by": line.by,
                    "action": line.action,
                    "customer_id": line.customer_id,
                    "customer_name": line.customer_name,
                    "customer_hash": line.customer_hash,
                }
                for line in latest_audit(db)
            ]

    return web.json_response({"lines": await asyncio.to_thread(read)})


# --- live updates ----------------------------------------------------------------------


async def live(request: web.Request) -> web.StreamResponse:
    if await _staff(request) is None:
        return _error(401, "login_required", "Log in first.")
    if not _origin_ok(request):
        return _error(403, "csrf", "Foreign origin.")
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    hub = request.app[handoff_key].hub
    events = hub.subscribe()
    request.app[_sockets_key].add(ws)

    async def pump() -> None:
        while True:
            event = await events.get()
            # The session may have ended (logout, expiry) while the socket stayed open.
            if await _staff(request) is None:
                await ws.close()
                return
            await ws.send_json(event)

    sender = asyncio.create_task(pump())
    try:
        async for message in ws:  # the console only listens; this loop notices the close
            if message.type == WSMsgType.ERROR:
                break
    finally:
        sender.cancel()
        hub.unsubscribe(events)
        request.app[_sockets_key].discard(ws)
    return ws


# --- wiring ------------------------------------------------------------------------------


async def _handoff(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    ctx = app[conversation_key]
    redis = app.get(redis_key)
    # Gateway replicas share staff logins and console events through Redis.
    hub = ConsoleHub() if redis is None else RedisHub(redis)
    if redis is not None:
        app[staff_sessions_key] = RedisSessions(redis)
    handoff = Handoff(
        app[sessionmaker_key],
        RasaTracker(app[http_client_key], settings.rasa_url, settings.rasa_timeout_s),
        parse_schedule(settings.opening_hours, settings.timezone),
        hub,
        ctx.customer_locks,
        partial(deliver, app),
    )
    app[handoff_key] = handoff
    ctx.handoff = handoff
    listener = asyncio.create_task(hub.listen()) if isinstance(hub, RedisHub) else None
    yield
    if listener is not None:
        listener.cancel()
    sockets = app[_sockets_key]
    for ws in list(sockets):
        await ws.close()


def setup(app: web.Application) -> None:
    """Add the console's routes and its cleanup context (after the conversation context)."""
    settings = app[settings_key]
    parse_schedule(settings.opening_hours, settings.timezone)  # a bad schedule fails at start
    app[staff_sessions_key] = Sessions()
    redis = app.get(redis_key)
    app[login_throttle_key] = LoginThrottle(
        settings.login_max_failures,
        settings.login_max_failures_per_address,
        settings.login_window_s,
        windows=redis_windows(redis) if redis is not None else None,
    )
    app[_sockets_key] = _Sockets()
    app.cleanup_ctx.append(_handoff)
    app.router.add_get("/console", page)
    app.router.add_post("/console/api/login", login)
    app.router.add_post("/console/api/logout", staff_only(logout, changes_state=True))
    app.router.add_get("/console/api/me", staff_only(me, changes_state=False))
    app.router.add_get("/console/api/queue", staff_only(queue, changes_state=False))
    app.router.add_get("/console/api/audit", staff_only(audit, changes_state=False))
    base = "/console/api/conversations/{customer_id}"
    app.router.add_get(base, staff_only(conversation, changes_state=False))
    app.router.add_post(f"{base}/take", staff_only(take, changes_state=True))
    app.router.add_post(f"{base}/hand_back", staff_only(hand_back, changes_state=True))
    app.router.add_post(f"{base}/close", staff_only(close, changes_state=True))
    app.router.add_post(f"{base}/reply", staff_only(reply, changes_state=True))
    app.router.add_post(f"{base}/facts", staff_only(add_fact, changes_state=True))
    app.router.add_post(f"{base}/unlink", staff_only(unlink_identity, changes_state=True))
    app.router.add_post(f"{base}/erase", staff_only(erase, changes_state=True))
    app.router.add_get("/console/ws", live)
    app.router.add_static("/console/static/", STATIC_DIR)
