"""Linking the customer's channels into one relationship, always with a one-time code.

"Link my email jane@example.com" on any channel: the profile store records a link request,
and the gateway sends a 6-digit code to that address (the action never sees the code: it asks
for it with a `rapport_link_code` message, which the gateway replaces with "I've sent a code
to ..." once sent). Typed back here, the code links that address to this customer, merging
the relationship it already had (profile_store.linking). Nothing is linked on a name, a
number or an address typed in chat alone.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.actions.context import channel, customer_id, in_transaction, latest_text, sender_address
from offers.reasons import join_and
from profile_store.addresses import InvalidAddress, normalise_address
from profile_store.linking import (
    CODE_TTL,
    LINKABLE_CHANNELS,
    CheckResult,
    LinkRefused,
    check_code,
    identities_of,
    request_link,
    unlink,
)
from profile_store.models import Identity
from rapport.settings import Settings

LINK_CODE_KEY = "rapport_link_code"  # the gateway sends the code for such a message
_EMAIL = re.compile(r"[^\s@<>()\"',;:]+@[^\s@<>()\"',;:]+\.[^\s@<>()\"',;:]*[^\s@<>()\"',;:.!?]")
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d\s().\-]{6,18}\d(?!\w)")
_CODE = re.compile(r"(?<!\d)(\d(?:[\s\-]?\d){5})(?!\d)")
CHANNEL_WORDS = {
    "email": ("email", "e-mail", "mail", "inbox"),
    "whatsapp": ("whatsapp", "whats app", "whatsap", "wa "),
    "web": ("website", "web site", "web chat", "webchat", "browser", "computer", "laptop", "site"),
}


def addresses_in(text: str) -> list[tuple[str, str]]:
    """(channel, address as written) for each email address and phone number in a message."""
    found = [("email", m.group(0)) for m in _EMAIL.finditer(text)]
    rest = _EMAIL.sub(" ", text)
    for m in _PHONE.finditer(rest):
        digits = re.sub(r"\D", "", m.group(0))
        if 8 <= len(digits) <= 15:
            found.append(("whatsapp", m.group(0).strip()))
    return found


def channel_named(text: str) -> str | None:
    """The channel a message speaks of ("on WhatsApp", "my email"), if one."""
    folded = f" {text.casefold()} "
    for name, words in CHANNEL_WORDS.items():
        if any(word in folded for word in words):
            return name
    return None


def code_in(text: str) -> str | None:
    """The 6 digits of a code as typed ("551204", "420 981", "7 4 1 0 2 9")."""
    match = _CODE.search(text)
    return re.sub(r"\D", "", match.group(1)) if match else None


def where(identity_channel: str, address: str) -> str:
    """The customer's words for one of their identities."""
    if identity_channel == "email":
        return f"your email {address}"
    if identity_channel == "whatsapp":
        return f"your WhatsApp +{address}" if address.isdigit() else f"your WhatsApp {address}"
    if identity_channel == "web":
        return "the chat on our website"
    return "this chat"


def response_text(domain: dict[str, Any], name: str, **values: Any) -> str:
    """A response of the domain as text, for messages the gateway sends on the bot's behalf."""
    variants = (domain.get("responses") or {}).get(name) or [{"text": ""}]
    text = str(variants[0].get("text") or "")
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return " ".join(text.split())


def _current(tracker: Tracker) -> tuple[str, str] | None:
    given = sender_address(tracker)
    if given is None:
        return None
    via = channel(tracker)
    try:
        return via, normalise_address(via, given)
    except InvalidAddress:
        return via, given


def _unproven_mail(tracker: Tracker) -> bool:
    """A mail whose sender no relay verified (SPF/DKIM/DMARC): its From may be forged, so it
    may not link anything (a forger would bind their own address to someone else's profile)."""
    metadata = tracker.latest_message.get("metadata") or {}
    proven = isinstance(metadata, dict) and metadata.get("authenticated") is True
    return channel(tracker) == "email" and not proven


class ActionLinkIdentity(Action):
    """Ask for the address, or have a code sent to it."""

    def name(self) -> str:
        return "action_link_identity"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if _unproven_mail(tracker):
            dispatcher.utter_message(response="utter_link_not_by_mail")
            return []
        text = latest_text(tracker)
        found = [a for a in addresses_in(text) if a[0] in LINKABLE_CHANNELS]
        if not found:
            current = _current(tracker)
            if channel_named(text) == "web" and current and current[0] in LINKABLE_CHANNELS:
                # A code cannot be sent to a browser: the website chat asks, the code comes here.
                here = "WhatsApp" if current[0] == "whatsapp" else f"email {current[1]}"
                dispatcher.utter_message(response="utter_link_web_target", here=here)
            else:
                dispatcher.utter_message(response="utter_link_ask_address")
            return []
        target_channel, written = found[0]
        cid = customer_id(tracker)

        def ask(session: Session) -> tuple[int, str]:
            request = request_link(session, cid, target_channel, written)
            return request.id, request.address

        try:
            request_id, address = await in_transaction(ask)
        except LinkRefused as refused:
            self._refused(dispatcher, refused, target_channel, written)
            return []
        place = where(target_channel, address)
        minutes = int(CODE_TTL.total_seconds() // 60)
        dispatcher.utter_message(
            json_message={
                LINK_CODE_KEY: {
                    "request": request_id,
                    "sent": response_text(
                        domain, "utter_link_code_sent", where=place, minutes=minutes
                    ),
                    "failed": response_text(domain, "utter_link_code_failed", where=place),
                    "message": response_text(
                        domain,
                        "utter_link_code_message",
                        shop=Settings.from_env().shop_name,
                        minutes=minutes,
                    ),
                }
            }
        )
        return []

    @staticmethod
    def _refused(
        dispatcher: CollectingDispatcher, refused: LinkRefused, target: str, written: str
    ) -> None:
        if refused.code == "rate_limited":
            dispatcher.utter_message(response="utter_link_refused_rate")
        elif refused.code == "already_linked":
            dispatcher.utter_message(response="utter_link_already", where=where(target, written))
        else:
            dispatcher.utter_message(response="utter_link_refused_invalid")


class ActionCheckLinkCode(Action):
    """The code typed back: link, or say why not (wrong, expired, too many tries, none sent)."""

    def name(self) -> str:
        return "action_check_link_code"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if _unproven_mail(tracker):
            dispatcher.utter_message(response="utter_link_not_by_mail")
            return []
        code = code_in(latest_text(tracker))
        cid = customer_id(tracker)
        if code is None:
            dispatcher.utter_message(response="utter_link_no_request")
            return []
        result: CheckResult = await in_transaction(lambda s: check_code(s, cid, code))
        if result.outcome == "linked":
            place = where(result.channel or "", result.address or "")
            dispatcher.utter_message(response="utter_link_done", where=place)
            for c in result.conflicts:
                dispatcher.utter_message(
                    response="utter_link_conflict", kept=c.kept_stated, set_aside=c.set_aside_stated
                )
        elif result.outcome == "wrong":
            dispatcher.utter_message(response="utter_link_wrong_code", tries=result.tries_left)
        elif result.outcome == "expired":
            dispatcher.utter_message(response="utter_link_expired")
        elif result.outcome == "exhausted":
            dispatcher.utter_message(response="utter_link_exhausted")
        else:
            dispatcher.utter_message(response="utter_link_no_request")
        return []


def identities_words(identities: list[Identity]) -> str:
    return join_and([where(i.channel, i.address) for i in identities])


class ActionUnlinkIdentity(Action):
    """Detach one channel; what was said there stays with the customer."""

    def name(self) -> str:
        return "action_unlink_identity"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if _unproven_mail(tracker):
            dispatcher.utter_message(response="utter_link_not_by_mail")
            return []
        text = latest_text(tracker)
        cid = customer_id(tracker)
        named = addresses_in(text)
        hint = channel_named(text)

        def act(session: Session) -> tuple[str, str]:
            mine = identities_of(session, cid)
            listed = identities_words(mine) if mine else "nothing"
            if len(mine) <= 1:
                return "utter_unlink_last", listed
            chosen: list[Identity] = []
            for via, written in named:
                try:
                    address = normalise_address(via, written)
                except InvalidAddress:
                    continue
                chosen += [i for i in mine if (i.channel, i.address) == (via, address)]
            if not named and hint:
                chosen = [i for i in mine if i.channel == hint]
            if not chosen:
                return ("utter_unlink_unknown" if named else "utter_unlink_which"), listed
            if len(chosen) > 1:
                return "utter_unlink_which", listed
            target = chosen[0]
            place = where(target.channel, target.address)
            if not unlink(session, cid, target.channel, target.address, by="customer"):
                return "utter_unlink_last", listed
            return "utter_unlink_done", place

        response, words = await in_transaction(act)
        if response == "utter_unlink_done":
            dispatcher.utter_message(response=response, where=words[0].upper() + words[1:])
        else:
            dispatcher.utter_message(response=response, identities=words)
        return []
