"""`make heldout`: held-out utterances, end to end through the gateway's REST endpoint.

Starts a real stack (Rasa with the trained model, the action server, the gateway, a fresh SQLite
profile store), sends every utterance of tests/heldout/*.jsonl from a fresh sender, and reads
that customer's profile export (the same `export_customer` the `rapport profile export
rest:<sender>` command prints). It reports:

- landed: the share of expected facts found in the export with the right subject, polarity and,
  for an avoid whose reason the set gives, reason;
- wrong: the share of the facts written that are not expected (wrong subject or polarity,
  or a fact where none was said);
- allergies missed: expected allergies not written as an avoid on that subject, even after the
  bot's "just to be sure" (the one figure that must be 0);
- per class (the set's "class" field), and for household facts ("who") and time-bounded ones
  ("temporary") whether the member and the end date were written too.

When the bot asks "Just to be sure: ...?" (a low-confidence fact, one at a time), the simulated
customer answers truthfully: yes if the fact asked about (read from the conversation's
`pending_facts` slot) is one they stated, no otherwise. Figures are given straight
after the utterance (before any confirmation) and after it, for all utterances and for each file
(set) alone: a set that was looked at while building the extractor (facts.jsonl) and one that
never was (facts_fresh.jsonl) are told apart. Written to var/heldout/report.json.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
import unicodedata
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from profile_store.db import make_engine, make_sessionmaker  # noqa: E402
from profile_store.export import export_customer  # noqa: E402
from profile_store.repository import find_customer  # noqa: E402
from rapport.stack import Stack  # noqa: E402

HELDOUT = ROOT / "tests" / "heldout"
CONFIRM_WORDS = ("just to be sure",)
MAX_QUESTIONS = 10


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"  # "whiskies" and "whisky"
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def fold(text: str) -> str:
    """Lower case, no accents, no plural on any word: 'Comtés' and 'comte' compare equal."""
    text = unicodedata.normalize("NFKD", text.lower()).replace("'s ", " ").replace("-", " ")
    text = "".join(c for c in text if not unicodedata.combining(c))
    words = [_singular(w) for w in text.split()]
    return " ".join(words).strip(" .!?")


def _alternatives(value: str | list[str]) -> set[str]:
    return {fold(v) for v in ([value] if isinstance(value, str) else value)}


def same_subject(expected: str | list[str], written: str) -> bool:
    """The words meant, or a narrower name holding all of them ('roquefort papillon')."""
    got = fold(written)
    words = set(got.split())
    return any(alt == got or (alt and set(alt.split()) <= words) for alt in _alternatives(expected))


def matches(expected: dict[str, Any], written: dict[str, Any]) -> bool:
    polarities = expected["polarity"]
    polarities = {polarities} if isinstance(polarities, str) else set(polarities)
    if not same_subject(expected["subject"], written["subject"]):
        return False
    if written["polarity"] not in polarities:
        return False
    reasons = expected.get("reason")
    if written["polarity"] == "avoid" and reasons:
        reasons = {reasons} if isinstance(reasons, str) else set(reasons)
        return written.get("reason") in reasons
    return True


def is_allergy(expected: dict[str, Any]) -> bool:
    reasons = expected.get("reason") or []
    return "allergy" in ([reasons] if isinstance(reasons, str) else reasons)


def allergy_heard(expected: dict[str, Any], written: list[dict[str, Any]]) -> bool:
    return any(
        w["polarity"] == "avoid" and same_subject(expected["subject"], w["subject"])
        for w in written
    )


@dataclass
class Score:
    expected: int = 0
    landed: int = 0
    written: int = 0
    wrong: int = 0
    allergies: int = 0
    allergies_missed: int = 0
    members: int = 0
    members_right: int = 0
    temporary: int = 0
    temporary_right: int = 0
    wrong_examples: list[str] = field(default_factory=list)
    missed_examples: list[str] = field(default_factory=list)

    def add(self, text: str, expected: list[dict[str, Any]], written: list[dict[str, Any]]) -> None:
        self.expected += len(expected)
        self.written += len(written)
        for exp in expected:
            found = [w for w in written if matches(exp, w)]
            if found:
                self.landed += 1
            else:
                self.missed_examples.append(f"{text!r}: {exp['subject']} {exp['polarity']}")
            if is_allergy(exp):
                self.allergies += 1
                if not allergy_heard(exp, written):
                    self.allergies_missed += 1
                    self.missed_examples.append(f"{text!r}: ALLERGY {exp['subject']}")
            if exp.get("who"):
                self.members += 1
                self.members_right += any(
                    fold(str(w.get("who") or "")) == fold(str(exp["who"])) for w in found
                )
            if exp.get("temporary"):
                self.temporary += 1
                self.temporary_right += any(w.get("until") for w in found)
        for w in written:
            if not any(matches(exp, w) for exp in expected):
                self.wrong += 1
                self.wrong_examples.append(f"{text!r}: wrote {w['subject']} {w['polarity']}")

    def summary(self) -> dict[str, Any]:
        return {
            "expected_facts": self.expected,
            "landed": self.landed,
            "landed_share": round(self.landed / self.expected, 3) if self.expected else None,
            "written_facts": self.written,
            "wrong": self.wrong,
            "wrong_share": round(self.wrong / self.written, 3) if self.written else 0.0,
            "allergies": self.allergies,
            "allergies_missed": self.allergies_missed,
            "household_facts": self.members,
            "household_member_right": self.members_right,
            "temporary_facts": self.temporary,
            "temporary_with_end": self.temporary_right,
        }


def load_cases(names: list[str] | None = None) -> list[dict[str, Any]]:
    """Every utterance of tests/heldout/*.jsonl (or the named sets), tagged with its set."""
    cases = []
    for path in sorted(HELDOUT.glob("*.jsonl")):
        if names and path.stem not in names:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                case = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path.name}:{number}: not JSON ({exc})") from exc
            if not isinstance(case.get("text"), str) or not isinstance(case.get("facts"), list):
                raise SystemExit(f'{path.name}:{number}: needs "text" and a "facts" list')
            cases.append({**case, "set": path.stem})
    return cases


def say(stack: Stack, sender: str, text: str) -> list[dict[str, Any]]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(
        stack.rest_url,
        data=body,
        headers={**stack.rest_headers(), "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        result: list[dict[str, Any]] = json.loads(response.read())
    return result


def asked_about(
    stack: Stack, sessions: sessionmaker[Session], sender: str
) -> dict[str, Any] | None:
    """The fact the bot is asking about, from the conversation's `pending_facts` slot in Rasa."""
    with sessions.begin() as session:
        customer = find_customer(session, f"rest:{sender}")
        if customer is None:
            return None
        cid = customer.id
    with urllib.request.urlopen(f"{stack.rasa_url}/conversations/{cid}/tracker", timeout=60) as r:
        pending = (json.loads(r.read()).get("slots") or {}).get("pending_facts") or []
    if not pending:
        return None
    first: dict[str, Any] = pending[0]
    return {**first, "who": first.get("member")}


def preferences(sessions: sessionmaker[Session], sender: str) -> list[dict[str, Any]]:
    with sessions.begin() as session:
        customer = find_customer(session, f"rest:{sender}")
        if customer is None:
            return []
        prefs: list[dict[str, Any]] = export_customer(session, customer.id)["preferences"]
        return prefs


def main() -> int:
    cases = load_cases(sys.argv[1:])
    if not cases:
        raise SystemExit(f"no held-out set named {' '.join(sys.argv[1:])} in {HELDOUT}")
    workdir = ROOT / "var" / "heldout"
    shutil.rmtree(workdir / "stack", ignore_errors=True)
    direct, confirmed = Score(), Score()
    by_set: dict[str, tuple[Score, Score]] = {c["set"]: (Score(), Score()) for c in cases}
    by_class: dict[str, tuple[Score, Score]] = {
        f"{c['set']}/{c['class']}": (Score(), Score()) for c in cases if c.get("class")
    }
    confirmations = 0
    started = time.monotonic()
    with Stack(workdir=workdir / "stack") as stack:
        print(f"stack up in {time.monotonic() - started:.0f} s; {len(cases)} utterances")
        sessions = make_sessionmaker(make_engine(stack.database_url))
        run_id = int(time.time())
        for n, case in enumerate(cases):
            sender = f"heldout-{run_id}-{n}"
            replies = say(stack, sender, case["text"])
            first = preferences(sessions, sender)
            direct.add(case["text"], case["facts"], first)
            by_set[case["set"]][0].add(case["text"], case["facts"], first)
            kind = f"{case['set']}/{case['class']}" if case.get("class") else None
            if kind:
                by_class[kind][0].add(case["text"], case["facts"], first)
            final = first
            asked = 0
            while asked < MAX_QUESTIONS and any(
                w in str(r.get("text", "")).lower() for r in replies for w in CONFIRM_WORDS
            ):
                # The customer answers each "Just to be sure: ...?" truthfully: yes when the
                # fact asked about is one they stated.
                asked += 1
                proposal = asked_about(stack, sessions, sender)
                truthful = proposal is not None and any(matches(e, proposal) for e in case["facts"])
                replies = say(stack, sender, "yes" if truthful else "no")
            if asked:
                confirmations += 1
                final = preferences(sessions, sender)
            confirmed.add(case["text"], case["facts"], final)
            by_set[case["set"]][1].add(case["text"], case["facts"], final)
            if kind:
                by_class[kind][1].add(case["text"], case["facts"], final)
            if (n + 1) % 50 == 0:
                print(f"  {n + 1}/{len(cases)} utterances ({time.monotonic() - started:.0f} s)")
    report: dict[str, Any] = {
        "utterances": len(cases),
        "confirmations_asked": confirmations,
        "before_confirmation": direct.summary(),
        "after_truthful_confirmation": confirmed.summary(),
        "sets": {
            name: {
                "utterances": sum(1 for c in cases if c["set"] == name),
                "before_confirmation": d.summary(),
                "after_truthful_confirmation": c.summary(),
            }
            for name, (d, c) in by_set.items()
        },
        "classes": {
            name: {"before_confirmation": d.summary(), "after_truthful_confirmation": c.summary()}
            for name, (d, c) in sorted(by_class.items())
        },
        "missed": confirmed.missed_examples,
        "wrong": confirmed.wrong_examples,
        "seconds": round(time.monotonic() - started),
    }
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for name, scores in [("all", report), *report["sets"].items()]:
        for label in ("before_confirmation", "after_truthful_confirmation"):
            s = scores[label]
            print(
                f"{name:12} {label}: landed {s['landed']}/{s['expected_facts']} "
                f"({s['landed_share'] or 0:.1%}), wrong {s['wrong']}/{s['written_facts']} "
                f"({s['wrong_share']:.1%})"
            )
        s = scores["after_truthful_confirmation"]
        print(
            f"{'':12} allergies missed {s['allergies_missed']}/{s['allergies']}, household "
            f"member right {s['household_member_right']}/{s['household_facts']}, end date "
            f"{s['temporary_with_end']}/{s['temporary_facts']}"
        )
    for name, scores in report["classes"].items():
        d, c = scores["before_confirmation"], scores["after_truthful_confirmation"]
        print(
            f"  {name:45} landed {d['landed_share'] or 0:.0%} -> {c['landed_share'] or 0:.0%} "
            f"of {c['expected_facts']}, wrong {c['wrong']}/{c['written_facts']}"
        )
    print(f"confirmations asked: {confirmations}; details in {workdir / 'report.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
