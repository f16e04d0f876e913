"""What a customer asks the shop to forget: 'forget that I like paupiettes', 'forget everything'."""

from __future__ import annotations

import re

from tastes.text import clean_input, fold, tokens
from tastes.vocabulary import Vocabulary, allergen_family, clean_phrase

EVERYTHING = "*"

_B = r"(?<![\w'])"
_E = r"(?![\w'])"
_VERBS = re.compile(
    _B + r"(?:please\s+)?(?:(?:can|could|would)\s+you\s+(?:please\s+)?)?"
    r"(?:forget|delete|remove|erase|drop|clear|wipe|scrap|ignore|disregard|unsave|cancel|undo"
    r"|take\s+off|take\s+out|strike|get\s+rid\s+of|don't\s+remember|stop\s+remembering"
    r"|no\s+need\s+to\s+remember)"
    + _E
    + r"(?:\s+(?:about|that|what\s+i\s+(?:said|told\s+you)\s+(?:about|regarding)?|the\s+fact\s+that"
    r"|the\s+bit\s+about|the\s+part\s+about|everything\s+about|all\s+about))*"
)
_EVERYTHING = re.compile(
    r"^\s*(?:(?:absolutely\s+|just\s+)?(?:everything|all|all\s+of\s+it|it\s+all|the\s+lot|me"
    r"|about\s+me|all\s+about\s+me|everything\s+about\s+me|everything\s+you\s+know"
    r"|what\s+you\s+know|all\s+you\s+know|all\s+my\s+(?:data|info|information|details|"
    r"preferences|tastes)|my\s+(?:data|info|information|details|profile|preferences|tastes|account)"
    r"|my\s+whole\s+profile|my\s+entire\s+profile)(?:\s+(?:about|on|of)\s+me)?(?:\s+(?:you\s+"
    r"(?:know|have|hold|keep|store|stored|saved)))?(?:\s+about\s+me)?)\s*(?:please|thanks|thank\s+you"
    r"|now)?[\s.!]*$"
)
_NO_LONGER = re.compile(
    _B + r"(?:no\s+longer|not\s+any\s*more|anymore|any\s+more|these\s+days|not\s+now)" + _E
)
_FILLER = re.compile(
    _B + r"(?:the|my|that|thing|things|stuff|bit|part|please|thanks|thank\s+you|about|info"
    r"|information|preference|preferences|fact|facts|detail|details|you\s+have|you\s+know"
    r"|i\s+said|i\s+told\s+you|i\s+mentioned|anymore|any\s+more|again|now|too|also)" + _E
)
_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&|\bor\b|\bplus\b)\s*")
_NOT_A_SUBJECT = re.compile(r"^(?:i|i'm|im|you|it|that|this|them|me|us|we|name|my name)$")


def extract_forget_subjects(text: str, vocabulary: Vocabulary) -> list[str]:
    """Subjects to forget, in the vocabulary's terms; ['*'] for everything; [] when unclear."""
    original = clean_input(text)
    low = fold(original)
    if not low.strip():
        return []
    verb = _VERBS.search(low)
    if verb is not None:
        rest_start = verb.end()
    elif _NO_LONGER.search(low):
        rest_start = 0  # "I'm not vegetarian any more"
    else:
        return []
    rest, rest_low = original[rest_start:], low[rest_start:]
    if verb is not None and _EVERYTHING.match(rest_low):
        return [EVERYTHING]
    subjects: list[str] = []
    # "forget that I like paupiettes", "I'm not vegetarian any more": any term the words name.
    for item in vocabulary.find(tokens(rest)):
        for subject in _self_and_family(item.term.canonical, rest_low):
            _add(subjects, subject)
    if subjects:
        return _with_the_one_product_meant(subjects, vocabulary)
    remainder = _NO_LONGER.sub(" ", rest_low)
    for piece in _SPLIT.split(remainder):
        cleaned = clean_phrase(_FILLER.sub(" ", piece))
        if cleaned and not _NOT_A_SUBJECT.match(cleaned) and len(cleaned.split()) <= 4:
            _add(subjects, vocabulary.normalise(cleaned)[0])
    return subjects


def _with_the_one_product_meant(subjects: list[str], vocabulary: Vocabulary) -> list[str]:
    """'Forget paupiettes' also names veal paupiettes when no other product is a paupiette."""
    out = list(subjects)
    for subject in subjects:
        narrower = vocabulary.narrower(subject)
        if len(narrower) == 1:
            _add(out, narrower[0])
    return out


def _self_and_family(subject: str, context: str) -> list[str]:
    """An allergy may be stored under the word said or its family ('walnut allergy': nuts too)."""
    family = allergen_family(subject) if re.search(r"allerg|intoleran", context) else None
    return [subject] if family is None or family == subject else [subject, family]


def _add(subjects: list[str], subject: str) -> None:
    if subject and subject not in subjects:
        subjects.append(subject)
