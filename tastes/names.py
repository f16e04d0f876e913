"""The name a customer introduces themselves with: 'hi, I'm Philippe', 'call me Jo'.

Standard library only: the action server uses `extract_name`, and the Rasa process's
`bot.components.names.NameExtractor` uses `find_name` (Python 3.10, no spaCy there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tastes.cleaning import clean_input

_WORD = r"[^\W\d_](?:[^\W\d_]|[-'](?=[^\W\d_]))*"
_TITLE = r"(?:(?:mr|mrs|ms|miss|mx|dr|mme|mlle|m|sir|madame|monsieur)\.?\s+)"
_GREETING = (
    r"(?:(?:hi|hello|hey|hiya|bonjour|salut|good\s+(?:morning|afternoon|evening))"
    r"(?:\s+(?:there|all|everyone))?[\s,!.]+)"
)

# Introductions that name unambiguously; "I'm X" needs more care (I'm fine, I'm vegetarian).
_STRONG = re.compile(
    r"(?<![\w'])(?:my\s*name\s+is|my\s*name's|name's|names\s+is|the\s+name\s+is|(?:you\s+can\s+"
    r"|please\s+|just\s+|everyone\s+|people\s+|friends\s+|they\s+)?calls?\s+me|i\s+go\s+by"
    r"|i'm\s+called|i\s+am\s+called|my\s+first\s+name\s+is|^\s*name\s*(?:is|:)"
    r"|you(?:'re|\s+are)\s+(?:talking|speaking|chatting)\s+(?:to|with)"
    r"|^\s*" + _GREETING + r"?(?:it's\s+|it\s+is\s+|its\s+)?me\s*,)"
    r"\s*[:,-]?\s+(?P<name>" + _TITLE + r"?" + _WORD + r")",
    re.IGNORECASE,
)
_WEAK = re.compile(
    r"(?<![\w'])(?:i'm|i\s+am|im|i\s+m|this\s+is|it's|it\s+is|its)\s+(?P<name>"
    + _TITLE
    + r"?"
    + _WORD
    + r")",
    re.IGNORECASE,
)
# "Philippe here", "hi there, Oluwaseun here", "Youssef speaking, hello", "Anaïs again".
_HERE = re.compile(
    r"^\s*"
    + _GREETING
    + r"?(?P<name>"
    + _TITLE
    + r"?"
    + _WORD
    + r")\s+(?:here|speaking|again|this\s+end)(?![\w'])"
    r"(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_MORE = re.compile(r"\s+(?P<word>" + _WORD + r")")

_NOT_NAMES = frozenset(
    {
        "a",
        "an",
        "the",
        "not",
        "so",
        "very",
        "really",
        "just",
        "also",
        "still",
        "here",
        "there",
        "back",
        "new",
        "fine",
        "good",
        "great",
        "ok",
        "okay",
        "well",
        "sure",
        "sorry",
        "afraid",
        "glad",
        "happy",
        "sad",
        "tired",
        "hungry",
        "starving",
        "thirsty",
        "full",
        "busy",
        "free",
        "ready",
        "done",
        "interested",
        "allergic",
        "intolerant",
        "sensitive",
        "vegetarian",
        "thanks",
        "thank",
        "cheers",
        "bye",
        "goodbye",
        "morning",
        "afternoon",
        "evening",
        "night",
        "i",
        "i'm",
        "i've",
        "i'll",
        "i'd",
        "it's",
        "that's",
        "there's",
        "who's",
        "you're",
        "we're",
        "they're",
        "he's",
        "she's",
        "keto",
        "paleo",
        "flexitarian",
        "teetotal",
        "teetotaller",
        "help",
        "speaking",
        "talking",
        "everybody",
        "vegan",
        "pescatarian",
        "pescetarian",
        "veggie",
        "coeliac",
        "celiac",
        "diabetic",
        "pregnant",
        "muslim",
        "moslem",
        "jewish",
        "hindu",
        "christian",
        "catholic",
        "protestant",
        "sikh",
        "buddhist",
        "jain",
        "atheist",
        "halal",
        "kosher",
        "french",
        "english",
        "british",
        "irish",
        "scottish",
        "welsh",
        "american",
        "italian",
        "spanish",
        "german",
        "belgian",
        "swiss",
        "dutch",
        "portuguese",
        "polish",
        "canadian",
        "australian",
        "from",
        "in",
        "at",
        "on",
        "with",
        "after",
        "about",
        "only",
        "always",
        "never",
        "sometimes",
        "usually",
        "often",
        "no",
        "yes",
        "all",
        "your",
        "my",
        "one",
        "of",
        "to",
        "gonna",
        "gluten",
        "lactose",
        "nut",
        "nuts",
        "dairy",
        "off",
        "out",
        "over",
        "under",
        "into",
        "big",
        "huge",
        "fan",
        "lover",
        "bit",
        "little",
        "quite",
        "pretty",
        "rather",
        "too",
        "kind",
        "keen",
        "fond",
        "crazy",
        "mad",
        "lost",
        "confused",
        "curious",
        "unsure",
        "married",
        "single",
        "retired",
        "home",
        "away",
        "around",
        "close",
        "nearby",
        "local",
        "online",
        "now",
        "currently",
        "finally",
        "actually",
        "definitely",
        "probably",
        "told",
        "old",
        "young",
        "hi",
        "hello",
        "hey",
        "bot",
        "human",
        "customer",
        "member",
        "regular",
        "returning",
        "certain",
        "positive",
        "alright",
        "cool",
        "excellent",
        "grand",
        "amazing",
        "fantastic",
        "late",
        "early",
        "exhausted",
        "available",
        "up",
        "down",
        "unwell",
        "ill",
        "sick",
        "better",
        "worse",
        "bored",
        "excited",
        "pleased",
        "delighted",
        "thrilled",
        "disappointed",
        "annoyed",
        "upset",
        "angry",
        "worried",
        "concerned",
        "stuffed",
        "cold",
        "hot",
        "warm",
        "lactose-intolerant",
        "gluten-free",
        "allergy",
        "allergies",
        "intolerance",
        "doing",
        "feeling",
        "getting",
        "trying",
        "looking",
        "going",
        "coming",
        "thinking",
        "wondering",
        "calling",
        "writing",
        "hoping",
        "planning",
        "able",
        "unable",
        "allowed",
        "vaccinated",
        "that",
        "this",
        "it",
        "what",
        "who",
        "sorted",
        "set",
        "staying",
        "moving",
        "a-ok",
        "totally",
        "absolutely",
        "completely",
        "even",
        "finished",
        "gutted",
        "chuffed",
        "knackered",
        "famished",
        "peckish",
        "shopping",
        "buying",
        "ordering",
        "asking",
        "wanting",
        "needing",
        "he",
        "she",
        "we",
        "they",
        "you",
        "him",
        "her",
        "them",
        "me",
        "us",
        "his",
        "hers",
        "its",
        "our",
        "ours",
        "their",
        "theirs",
        "mine",
        "yours",
        "everyone",
        "someone",
        "anyone",
        "nobody",
        "somebody",
        "anybody",
        "right",
        "wrong",
        "fair",
        "lucky",
        "unlucky",
        "fit",
        "healthy",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "christmas",
        "easter",
        "weekend",
        "today",
        "tomorrow",
        "tonight",
    }
)
_NOT_NAME_SUFFIXES = ("ing", "ous", "ful", "arian", "n't", "-free")
_STOP_AFTER = frozenset(
    {
        "to",
        "of",
        "with",
        "about",
        "for",
        "on",
        "in",
        "at",
        "that",
        "than",
        "because",
        "as",
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "is",
        "are",
    }
)


@dataclass(frozen=True)
class NameMatch:
    """Where the name is in the cleaned text, how to write it, and how sure the wording is."""

    start: int
    end: int
    # As the customer should be addressed: 'anne-marie' -> 'Anne-Marie'.
    value: str
    # "call me Jo", "my name is Jo": an introduction whatever else is said; "I'm Jo", "Jo here"
    # are introductions only when the customer is giving their name.
    strong: bool


def extract_name(text: str) -> str | None:
    """The customer's own name if they introduce themselves, else None."""
    found = find_name(text)
    return found.value if found else None


def find_name(text: str) -> NameMatch | None:
    """The first introduction in `clean_input(text)`, with its span in that cleaned text."""
    cleaned = clean_input(text)
    if not cleaned.strip():
        return None
    for match in _STRONG.finditer(cleaned):
        found = _name_at(cleaned, match, strict=False)
        if found:
            return found
    for match in _WEAK.finditer(cleaned):
        found = _name_at(cleaned, match, strict=True)
        if found:
            return found
    here = _HERE.match(cleaned)
    if here is not None:
        words = here.group("name").split()
        core = words[-1]
        rest = here.group("rest").strip(" ,.!?;:")
        # Lower case is a name only when that is all the message says: "louise here".
        if _plausible(core) and (core[0].isupper() or len(rest.split()) <= 2):
            start, end = here.span("name")
            return NameMatch(start, end, " ".join(styled_name(w) for w in words), strong=False)
    return None


def _name_at(text: str, match: re.Match[str], strict: bool) -> NameMatch | None:
    start, end = match.span("name")
    first = match.group("name")
    if first.lower().endswith("'s"):
        if strict:
            return None  # "I'm Philippe's wife"
        first = first[:-2]
        end -= 2
    words = first.split()
    core = words[-1]
    if not _plausible(core) and not (len(words) > 1 and core[0].isupper()):
        return None
    if strict:
        after = text[match.end() :]
        next_word = re.match(r"\s*([\w']+)", after)
        if after.startswith("'s") or (
            next_word is not None and next_word.group(1).lower() in _STOP_AFTER
        ):
            return None
        lowercase = not core[0].isupper()
        if lowercase and (match.start() > 24 or len(text.split()) > 8):
            # Lower case deep inside a sentence is more likely a word than a name.
            return None
    # Following capitalised words are the rest of the name: "I'm Jean Dupont", "Mei Ling".
    if core[0].isupper():
        for _ in range(2):
            more = _MORE.match(text, end)
            if more is None:
                break
            word = more.group("word")
            if not word[0].isupper() or not _plausible(word, rest_of_name=True):
                break
            words.append(word)
            end = more.end()
    return NameMatch(start, end, " ".join(styled_name(w) for w in words), strong=not strict)


def _plausible(word: str, rest_of_name: bool = False) -> bool:
    low = word.lower().rstrip(".")
    if low in _NOT_NAMES or low in _STOP_AFTER or len(low) < 2 or len(low) > 30:
        return False
    # A capitalised word after a name may end like a verb: "Mei Ling", "Irving".
    return rest_of_name or not low.endswith(_NOT_NAME_SUFFIXES)


def styled_name(word: str) -> str:
    """'anne-marie' -> 'Anne-Marie'; a name already written with capitals is kept as written."""
    if any(c.isupper() for c in word):
        return word
    return re.sub(r"(^|[-'\s])([^\W\d_])", lambda m: m.group(1) + m.group(2).upper(), word)
