"""Issue 15: one customer never obtains another's facts through any endpoint.

A victim tells distinctive facts on the web chat, WhatsApp and email, linked into one profile.
An attacker then claims what can be derived from the victim (their customer id, addresses,
session id, look-alikes, path- and JSON-like strings, control characters, very long strings) as
the sender on REST, the session on socket.io and the From of a mail, forges the WhatsApp
signature, the REST token, the export and unsubscribe links and the staff console's cookie. Each
accepted attempt asks what the bot knows and for the export (the file behind the link is
fetched); none may show the victim's words, name or addresses, and the victim's profile and
conversation are left as they were.

A mail with a forged From could once link the forger's mailbox to the victim (the last test):
linking by mail now needs a sender the relay proved.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import aiohttp
import aiosmtplib
import pytest

# The gateway's own signing, so that a forged id is right in every way but its secret.
from channels.webchat import _mac as session_mac
from channels.webchat import web_address
from channels.whatsapp.signature import SIGNATURE_HEADER
from profile_store.addresses import normalise_email
from rapport.stack import Stack
from tests.e2e.conftest import WebChatCustomer, export_profile, texts
from tests.e2e.email.helpers import SHOP, smtp_port
from tests.e2e.email.servers import Smarthost, plain_body
from tests.e2e.email.test_email import mail
from tests.e2e.linking.test_access_e2e import fetch_export
from tests.e2e.linking.test_linking_e2e import (
    code_mailed_to,
    code_sent_to_whatsapp,
    new_email,
    new_number,
)
from tests.e2e.whatsapp import meta
from tests.e2e.whatsapp.meta import Meta, bodies
from tests.e2e.whatsapp.standin import GraphStandIn

pytestmark = pytest.mark.e2e

REVIEW = "what do you know about me?"
ASK = "send me everything you know about me"
# Words nobody but the victim says, told on the web chat, on WhatsApp and by email.
NAME = "Philippa"
ON_WEB, ON_WHATSAPP, BY_EMAIL = "kumquats", "quince", "durian"
FULLWIDTH = str.maketrans("0123456789+", "０１２３４５６７８９＋")
CYRILLIC = str.maketrans("aeo", "аео")  # Latin a, e, o for their Cyrillic twins


@dataclass
class Victim:
    customer_id: str
    session_id: str
    wa: str
    email: str
    export: dict[str, Any]
    user_turns: int

    @property
    def web(self) -> str:
        return web_address(self.session_id)

    @property
    def words(self) -> list[str]:
        """What the victim told: never sent by the attacker, so never in anything they get."""
        return [NAME, ON_WEB, ON_WHATSAPP, BY_EMAIL]

    @property
    def ids(self) -> list[str]:
        """The victim's identifiers; an attacker who claimed one sees it as their own address."""
        return [self.customer_id, self.session_id, self.web, self.wa, self.email]

    @property
    def identities(self) -> set[tuple[str, str]]:
        return {(i["channel"], i["address"]) for i in self.export["identities"]}


@dataclass
class Findings:
    """Every leak seen, said as "<attempt>: <what>", so one run names them all."""

    victim: Victim
    leaks: list[str] = field(default_factory=list)
    accepted: int = 0

    def _shown(self, text: str, secrets: list[str]) -> list[str]:
        folded = text.casefold()
        return [s for s in secrets if s.casefold() in folded]

    def replies(self, attempt: str, said: str) -> None:
        for secret in self._shown(said, self.victim.words + self.victim.ids):
            self.leaks.append(f"{attempt}: the bot said {secret!r}")

    def export(
        self, attempt: str, data: dict[str, Any], page: str, identity: tuple[str, str]
    ) -> None:
        """The attacker's export holds only their own identity and nothing of the victim's."""
        self.accepted += 1
        if data["customer"]["id"] == self.victim.customer_id:
            self.leaks.append(f"{attempt}: the export is the victim's")
        mine = [(i["channel"], i["address"]) for i in data["identities"]]
        if mine != [identity] or set(mine) & self.victim.identities:
            self.leaks.append(f"{attempt}: the export's identities are {mine}")
        others = json.dumps(
            {k: v for k, v in data.items() if k != "identities"}, ensure_ascii=False
        )
        for secret in self._shown(others, self.victim.words + self.victim.ids):
            self.leaks.append(f"{attempt}: the export shows {secret!r}")
        for secret in self._shown(page, self.victim.words):
            self.leaks.append(f"{attempt}: the export page shows {secret!r}")


async def user_turns(stack: Stack, customer_id: str) -> int:
    """How many customer messages Rasa's conversation with this customer holds."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{stack.rasa_url}/conversations/{customer_id}/tracker") as response,
    ):
        tracker = await response.json()
    return sum(1 for e in tracker["events"] if e["event"] == "user")


async def mail_answered(stack: Stack, smarthost: Smarthost, sender: str, body: str) -> EmailMessage:
    """Mail `body` from `sender` (as written in From) and wait for the shop's answer."""
    address = normalise_email(sender)  # the domain IDNA-encoded: where the answer goes
    before = len(smarthost.to(address))
    _, raw = mail(sender, body)
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port(stack)) as smtp:
        await smtp.sendmail(address, [SHOP], raw)
    answers = await smarthost.wait_for(address, before + 1)
    assert len(answers) > before, f"no answer to {address}"
    return answers[-1]


async def victim_on_every_channel(
    stack: Stack, whatsapp: Meta, graph: GraphStandIn, smarthost: Smarthost
) -> Victim:
    wa, address = new_number(), new_email()
    browser = WebChatCustomer(stack.gateway_url)
    session_id = await browser.connect()
    try:
        await browser.tell(f"I'm allergic to {ON_WEB}")
        await browser.say(f"my name is {NAME}")
        await browser.say(f"link my WhatsApp +{wa}")
        assert "linked" in texts(await browser.say(code_sent_to_whatsapp(graph, wa))).lower()
        await browser.say(f"link my email {address}")
        done = texts(await browser.say(await code_mailed_to(smarthost, address)))
        assert "linked" in done.lower()
    finally:
        await browser.close()
    heard = bodies(await whatsapp.say(meta.text(wa, f"I love {ON_WHATSAPP}"), wa))
    if "just to be sure" in heard.lower():
        await whatsapp.say(meta.text(wa, "yes"), wa)
    answer = await mail_answered(stack, smarthost, address, f"Hello, I can't stand {BY_EMAIL}.")
    if "just to be sure" in plain_body(answer).lower():
        await mail_answered(stack, smarthost, address, "yes")
    export = export_profile(stack, f"web:{web_address(session_id)}")
    cid = export["customer"]["id"]
    told = json.dumps(export, ensure_ascii=False).casefold()
    assert all(word.casefold() in told for word in (NAME, ON_WEB, ON_WHATSAPP, BY_EMAIL)), export
    assert {i["channel"] for i in export["identities"]} == {"web", "whatsapp", "email"}
    return Victim(cid, session_id, wa, address, export, await user_turns(stack, cid))


# --- REST --------------------------------------------------------------------------------


async def post_rest(
    http: aiohttp.ClientSession, stack: Stack, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    async with http.post(
        stack.rest_url, json=body, headers=stack.rest_headers() if headers is None else headers
    ) as response:
        return response.status, await response.json(content_type=None)


def rest_said(messages: list[dict[str, Any]]) -> str:
    """All the bot sent, but the `recipient_id` the gateway echoes from the caller's sender."""
    return json.dumps(
        [{k: v for k, v in m.items() if k != "recipient_id"} for m in messages],
        ensure_ascii=False,
    )


def rest_text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text") or "") for m in messages)


async def rest_attempts(http: aiohttp.ClientSession, stack: Stack, findings: Findings) -> str:
    """Each sender asks; returns the last answer with an export link, for link_forgeries."""
    v = findings.victim
    long_sender = f"{v.customer_id}/{v.web}/{v.email}/+{v.wa}/"
    long_sender = (long_sender * 4)[:320]  # the longest sender accepted
    # (sender, questions, whether a refusal would do as well): each derived from the victim.
    attempts: list[tuple[str, tuple[str, ...], bool]] = [
        (v.customer_id, (REVIEW, ASK), False),
        (v.web, (REVIEW, ASK), False),
        (f"web:{v.web}", (REVIEW, ASK), False),
        (v.wa, (REVIEW, ASK), False),
        (f"+{v.wa}", (REVIEW, ASK), False),
        (v.email.upper(), (REVIEW, ASK), False),
        (v.session_id, (REVIEW, ASK), False),
        (v.email.translate(CYRILLIC), (ASK,), True),
        (f"+{v.wa}".translate(FULLWIDTH), (ASK,), True),
        (v.email + "\u200b", (ASK,), True),
        (f"../../web/{v.web}/../{v.customer_id}", (ASK,), True),
        (
            json.dumps({"channel": "whatsapp", "address": v.wa, "customer_id": v.customer_id}),
            (ASK,),
            True,
        ),
        (long_sender, (ASK,), True),
    ]
    for sender, questions, may_refuse in attempts:
        said = []
        for question in questions:
            status, answer = await post_rest(http, stack, {"sender": sender, "message": question})
            if status == 400 and may_refuse:
                break
            assert status == 200, (sender, status, answer)
            said += answer
        else:
            label = f"REST sender {sender[:60]!r}"
            findings.replies(label, rest_said(said))
            data, page = await fetch_export(rest_text(said))
            findings.export(label, data, page, ("rest", sender))

    # The gateway sets the channel and address itself: metadata cannot claim the victim's.
    sender = f"attacker-{uuid.uuid4().hex[:8]}"
    claim = {
        "channel": "whatsapp",
        "address": v.wa,
        "customer_id": v.customer_id,
        "sender_id": v.customer_id,
        "session_id": v.session_id,
    }
    said = []
    for question in (REVIEW, ASK):
        status, answer = await post_rest(
            http, stack, {"sender": sender, "message": question, "metadata": claim}
        )
        assert status == 200, answer
        said += answer
    findings.replies("REST metadata claiming the victim", rest_said(said))
    data, page = await fetch_export(rest_text(said))
    findings.export("REST metadata claiming the victim", data, page, ("rest", sender))
    return rest_text(said)


async def rest_refusals(http: aiohttp.ClientSession, stack: Stack, victim: Victim) -> None:
    """Senders that cannot be addresses, and callers without the token: 400 or 401, no turn."""
    for sender in (
        "\x00" + victim.customer_id,
        victim.customer_id + "\n",
        f"+{victim.wa}\r\n",
        "\x1b[2J" + victim.email,
        "\ud800" + victim.web,  # a lone surrogate: not Unicode text
        (victim.customer_id * 11)[:321],  # one character longer than any address
        "x" * 5000 + victim.email,
        "   ",
        int(victim.wa),
        {"channel": "whatsapp", "address": victim.wa},
        [victim.customer_id],
        None,
    ):
        status, answer = await post_rest(http, stack, {"sender": sender, "message": ASK})
        assert status == 400 and answer["code"] == "invalid_sender", (sender, status, answer)
    body = {"sender": victim.customer_id, "message": ASK}
    for headers in (
        {},
        {"Authorization": "Bearer "},
        {"Authorization": f"Bearer {stack.rest_token}x"},
        {"Authorization": f"Bearer {victim.session_id}"},
        {"Authorization": f"Basic {stack.rest_token}"},
    ):
        status, answer = await post_rest(http, stack, body, headers)
        assert status == 401, (headers, status, answer)


# --- socket.io ---------------------------------------------------------------------------


def signed_by_another_gateway(session_id: str) -> str:
    """The victim's nonce with a well-formed MAC under a secret that is not this gateway's."""
    nonce = session_id.partition(".")[0]
    return f"{nonce}.{session_mac('another-gateway-secret', nonce)}"


def last_char_changed(session_id: str) -> str:
    return session_id[:-1] + ("A" if session_id[-1] != "A" else "B")


async def socket_attempts(stack: Stack, findings: Findings) -> None:
    v = findings.victim
    attempts: list[tuple[str, str, tuple[str, ...]]] = [
        (
            "the victim's session id, its last character changed",
            last_char_changed(v.session_id),
            (REVIEW, ASK),
        ),
        ("the victim's session id without its MAC", v.session_id.partition(".")[0], (ASK,)),
        (
            "the victim's nonce signed with another secret",
            signed_by_another_gateway(v.session_id),
            (REVIEW, ASK),
        ),
        ("the victim's web address as session id", v.web, (ASK,)),
        ("the victim's customer id as session id", v.customer_id, (ASK,)),
    ]
    for label, forged, questions in attempts:
        attacker = WebChatCustomer(stack.gateway_url)
        try:
            confirmed = await attacker.connect(forged)
            assert confirmed not in (forged, v.session_id), label
            if attacker.history is not None:
                findings.leaks.append(f"{label}: a history was sent: {attacker.history}")
            said = [await attacker.say(q) for q in questions]
        finally:
            await attacker.close()
        findings.replies(label, "\n".join(texts(s) for s in said))
        data, page = await fetch_export(texts(said[-1]))
        findings.export(label, data, page, ("web", web_address(confirmed)))

    # A socket of one's own, with messages that name the victim's session: refused, unanswered.
    attacker = WebChatCustomer(stack.gateway_url)
    try:
        await attacker.connect()
        await attacker.client.emit(
            "user_uttered", {"message": ASK, "session_id": v.session_id, "customData": {}}
        )
        got = await attacker.replies(quiet_s=0.5, timeout_s=10)
    finally:
        await attacker.close()
    assert [(r["event"], r.get("code")) for r in got] == [("rapport_error", "session_mismatch")]


# --- email -------------------------------------------------------------------------------


async def email_attempts(stack: Stack, smarthost: Smarthost, findings: Findings) -> EmailMessage:
    """Mail from addresses that look like the victim's: each is someone else, answered there.
    Returns the last answer, for link_forgeries."""
    local, _, domain = findings.victim.email.partition("@")
    for sender, questions in (
        (f"{local}@{domain.replace('l', '1')}", (REVIEW, ASK)),
        (f"{local}@{domain.translate(CYRILLIC)}", (ASK,)),
    ):
        answers = [await mail_answered(stack, smarthost, sender, q) for q in questions]
        said = [plain_body(a) for a in answers]
        label = f"mail from {sender!r}"
        findings.replies(label, "\n".join(said))
        data, page = await fetch_export(said[-1])
        findings.export(label, data, page, ("email", normalise_email(sender)))
    return answers[-1]


# --- WhatsApp, links and the console -----------------------------------------------------


async def whatsapp_forgeries(whatsapp: Meta, graph: GraphStandIn, victim: Victim) -> None:
    """Notifications claiming the victim's number without Meta's signature: 401, nothing sent."""
    before = len(graph.to(victim.wa))
    claim = meta.text(victim.wa, ASK)
    raw, headers = meta.signed(claim)
    _, wrong_secret = meta.signed(claim, "not-the-app-secret")
    _, another_body = meta.signed(meta.text(new_number(), "hello"))
    valid = headers[SIGNATURE_HEADER]
    for body, forged in (
        (raw, wrong_secret),
        (raw, {"Content-Type": "application/json"}),  # no signature
        (raw, another_body),  # another notification's valid signature
        (raw, {**headers, SIGNATURE_HEADER: valid[:-1] + ("0" if valid[-1] != "0" else "1")}),
        (raw, {**headers, SIGNATURE_HEADER: valid.removeprefix("sha256=")}),
        (raw + b" ", headers),  # the signed bytes, altered
    ):
        status = await whatsapp.post_raw(body, forged)
        assert status in (401, 403), status
    await asyncio.sleep(1.0)
    assert len(graph.to(victim.wa)) == before, "nothing was sent to the victim's number"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


async def link_forgeries(
    http: aiohttp.ClientSession,
    stack: Stack,
    victim: Victim,
    export_answer: str,
    unsubscribe_answer: EmailMessage,
) -> None:
    """The attacker's own export and unsubscribe links re-pointed at the victim, and the
    console without a login: all refused, showing nothing."""
    token = re.search(r"/export/([\w.\-]+)", export_answer)
    assert token, export_answer
    body, _, mac = token.group(1).partition(".")
    expires = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().rpartition(":")[2]
    own = b64(f"{victim.customer_id}:{expires}".encode())
    for forged in (
        f"{own}.{mac}",
        own,
        f"{b64(victim.customer_id.encode())}.{mac}",
        f"{b64(f'{victim.customer_id}:{int(time.time()) + 3600}'.encode())}.{mac}",
        victim.session_id,
        victim.customer_id,
    ):
        for path in (f"/export/{forged}", f"/export/{forged}/page"):
            async with http.get(stack.gateway_url + path) as response:
                text = await response.text()
                assert response.status == 404, (path, response.status)
                assert victim.customer_id not in text and NAME not in text

    # Signed links carry their own MAC: a valid one on another payload is refused.
    link = re.search(r"/unsubscribe/([\w.\-]+)", str(unsubscribe_answer["List-Unsubscribe"]))
    assert link, unsubscribe_answer["List-Unsubscribe"]
    mac = link.group(1).partition(".")[2]
    for forged in (f"{b64(f'email:{victim.email}'.encode())}.{mac}", victim.session_id):
        async with http.get(f"{stack.gateway_url}/unsubscribe/{forged}") as response:
            assert response.status == 404
            assert victim.email not in await response.text()
        async with http.post(f"{stack.gateway_url}/unsubscribe/{forged}") as response:
            assert response.status == 404

    base = f"{stack.gateway_url}/console/api/conversations/{victim.customer_id}"
    for cookies in ({}, {"rapport_staff": victim.session_id}, {"rapport_staff": victim.web}):
        async with aiohttp.ClientSession(cookies=cookies) as staff:
            async with staff.get(base) as response:
                assert response.status == 401
                assert NAME not in await response.text()
            async with staff.post(f"{base}/unlink", json={}) as response:
                assert response.status == 401


async def test_no_endpoint_gives_one_customer_another_customers_facts(
    stack: Stack, whatsapp: Meta, graph_api: GraphStandIn, smarthost: Smarthost
) -> None:
    victim = await victim_on_every_channel(stack, whatsapp, graph_api, smarthost)
    findings = Findings(victim)
    async with aiohttp.ClientSession() as http:
        await rest_refusals(http, stack, victim)
        await whatsapp_forgeries(whatsapp, graph_api, victim)
        export_answer = await rest_attempts(http, stack, findings)
        await socket_attempts(stack, findings)
        unsubscribe_answer = await email_attempts(stack, smarthost, findings)
        await link_forgeries(http, stack, victim, export_answer, unsubscribe_answer)

    assert not findings.leaks, "\n".join(findings.leaks)
    assert findings.accepted >= 15, "the attempts reached the bot"
    after = export_profile(stack, victim.customer_id)
    assert after == victim.export, "the victim's profile is as they left it"
    assert await user_turns(stack, victim.customer_id) == victim.user_turns


async def test_a_forged_from_cannot_give_the_victims_profile_to_another_mailbox(
    stack: Stack, smarthost: Smarthost
) -> None:
    """Mail whose From is the victim's address, sent by someone else (nothing in SMTP stops it;
    only the relay's Authentication-Results can tell), asks to link the sender's own mailbox."""
    victim, attacker = new_email(), new_email()
    answer = await mail_answered(stack, smarthost, victim, f"I can't stand {BY_EMAIL}.")
    if "just to be sure" in plain_body(answer).lower():
        await mail_answered(stack, smarthost, victim, "yes")
    before = export_profile(stack, f"email:{victim}")
    assert BY_EMAIL in json.dumps(before)

    # The forged mails' answers go to the victim; a code, if one is sent, to the forger. It is
    # sent within the turn, before the answer: no need to wait for it.
    refused = await mail_answered(stack, smarthost, victim, f"link my email {attacker}")
    assert "can't link" in plain_body(refused), "no link by a mail nobody proved"
    assert not smarthost.to(attacker), "no code went to the forger"

    said = plain_body(await mail_answered(stack, smarthost, attacker, ASK))
    data, page = await fetch_export(said)
    assert data["customer"]["id"] != before["customer"]["id"]
    assert BY_EMAIL not in json.dumps(data) and BY_EMAIL not in page
    assert export_profile(stack, f"email:{victim}")["identities"] == before["identities"]
