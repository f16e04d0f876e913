"""The name a customer introduces themselves with: 'hi, I'm Philippe', 'call me Jo'."""

from __future__ import annotations

import re

from tastes.text import clean_input

_WORD = r"[^\W\d_](?:[^\W\d_]|[-'](?=[^\W\d_]))*"
_TITLE = r"(?:(?:mr|mrs|ms|miss|mx|dr|mme|mlle|m|sir|madame|monsieur)\.?\s+)"

# Introductions that name unambiguously; "I'm X" needs more care (I'm fine, I'm vegetarian).
_STRONG = re.compile(
    r"(?<![\w'])(?:my\s+name\s+is|my\s+name's|name's|names\s+is|the\s+name\s+is|(?:you\s+can\s+|please\s+"
    r"|just\s+|everyone\s+|people\s+|friends\s+)?calls?\s+me|i\s+go\s+by|i'm\s+called|i\s+am\s+called"
    r"|my\s+first\s+name\s+is)\s*[:,-]?\s+(?P<name>" + _TITLE + r"?" + _WORD + r")",
    re.IGNORECASE,
)
_WEAK = re.compile(
    r"(?<![\w'])(?:i'm|i\s+am|im|i\s+m|this\s+is|it's|it\s+is)\s+(?P<name>"
    + _TITLE
    + r"?"
    + _WORD
    + r")",
    re.IGNORECASE,
)
_HERE = re.compile(
    r"^\s*(?:(?:hi|hello|hey|bonjour|good\s+(?:morning|afternoon|evening))[\s,!.]+)?"
    r"(?P<name>" + _WORD + r")\s+here(?![\w'])",
    re.IGNORECASE,
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
_NOT_NAME_SUFFIXES = ("ing", "ous", "ful", "arian", "n't")
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


def extract_name(text: str) -> str | None:
    """The customer's own name if they introduce themselves, else None."""
    cleaned = clean_input(text)
    if not cleaned.strip():
        return None
    for match in _STRONG.finditer(cleaned):
        name = _name_at(cleaned, match, strict=False)
        if name:
            return name
    for match in _WEAK.finditer(cleaned):
        name = _name_at(cleaned, match, strict=True)
        if name:
            return name
    here = _HERE.match(cleaned)
    if here is not None:
        word = here.group("name")
        if word[0].isupper() and _plausible(word):
            return _styled(word)
    return None


def _name_at(text: str, match: re.Match[str], strict: bool) -> str | None:
    first = match.group("name")
    if first.lower().endswith("'s"):
        if strict:
            return None  # "I'm Philippe's wife"
        first = first[:-2]
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
    # Following capitalised words are the rest of the name: "I'm Jean Dupont".
    pos = match.end()
    if core[0].isupper():
        for _ in range(2):
            more = _MORE.match(text, pos)
            if more is None:
                break
            word = more.group("word")
            if not word[0].isupper() or not _plausible(word) or word.lower() in _STOP_AFTER:
                break
            words.append(word)
            pos = more.end()
    return " ".join(_styled(w) for w in words)


def _plausible(word: str) -> bool:
    low = word.lower().rstrip(".")
    if low in _NOT_NAMES or len(low) < 2 or len(low) > 30:
        return False
    return not low.endswith(_NOT_NAME_SUFFIXES)


def _styled(word: str) -> str:
    """'anne-marie' -> 'Anne-Marie'; a name already written with capitals is kept as written."""
    if any(c.isupper() for c in word):
        return word
    return re.sub(r"(^|[-'\s])([^\W\d_])", lambda m: m.group(1) + m.group(2).upper(), word)
