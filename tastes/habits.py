"""Shopping habits from a customer's words: 'I usually come on Saturday mornings'."""

from __future__ import annotations

import re

from tastes.models import StatedHabit
from tastes.text import clean_input, fold, sentences, trim

MAX_HABITS = 10

_B = r"(?<![\w'])"
_E = r"(?![\w'])"
_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_PART = r"(?:morning|afternoon|evening|night|lunchtime|lunch\s+time|lunch|teatime|dinner\s*time)"

_DAY_PART = re.compile(
    _B + r"(?P<day>" + _DAY + r")(?P<dplural>s)?(?:\s+(?P<part>" + _PART + r")"
    r"(?P<pplural>s)?)?" + _E
)
_PART_ONLY = re.compile(
    _B
    + r"(?:in\s+the\s+|every\s+|each\s+|on\s+|at\s+)?(?P<part>"
    + _PART
    + r")(?P<pplural>s)?"
    + _E
)
_WEEKEND = re.compile(_B + r"(?:week-?end)(?P<plural>s)?" + _E)
_MONTH_POINT = re.compile(
    _B + r"(?P<when>(?:(?:the\s+)?(?:first|last|second|third)\s+" + _DAY + r"|(?:the\s+)?"
    r"(?:end|start|beginning|middle)|pay\s*day)(?:\s+of\s+(?:the|every|each)\s+month)?)" + _E
)
_SEASON = re.compile(
    _B + r"(?:before|at|for|around|over)\s+(?P<when>christmas|easter|new year)" + _E
)

_FREQUENCIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "fortnightly",
        re.compile(
            _B
            + r"(?:fortnight(?:ly)?|every\s+(?:other|second|two|2)\s+(?:weeks?|"
            + _DAY
            + r"s?|week-?ends?)|bi-?weekly|twice\s+(?:a|per|each|every)\s+month)"
            + _E
        ),
    ),
    (
        "daily",
        re.compile(
            _B + r"(?:every\s+(?:single\s+)?(?:day|morning|evening|night|lunchtime)"
            r"|each\s+(?:day|morning|evening|night)|daily|once\s+a\s+day|per\s+day"
            r"|every\s+weekday|most\s+days|every\s+single\s+day)" + _E
        ),
    ),
    (
        "monthly",
        re.compile(
            _B + r"(?:(?:every|each|once\s+a|a|per|once\s+every|once\s+per)\s+month"
            r"|monthly|of\s+(?:the|every|each)\s+month|pay\s*day)" + _E
        ),
    ),
    (
        "weekly",
        re.compile(
            _B + r"(?:(?:every|each|once\s+a|a|per|twice\s+a|two\s+times\s+a|three\s+times"
            r"\s+a|once\s+every|once\s+per)\s+week|weekly|(?:every|each)\s+(?:"
            + _DAY
            + r"|week-?end)|"
            + _DAY
            + r"s|week-?ends|"
            + _DAY
            + r"\s+"
            + _PART
            + r"s)"
            + _E
        ),
    ),
)
_HABITUAL = re.compile(
    _B + r"(?:usually|always|normally|generally|typically|often|regularly|mostly|tend\s+to"
    r"|tends\s+to|every|each|most|habitually|religiously)" + _E
)

# Verbs that mean "comes to the shop"; the shop records them all as one habit, "shops".
_VISIT = re.compile(
    _B + r"(?:(?:come|comes|coming|pop|pops|popping|drop|drops|dropping|stop|stops|swing|swings"
    r"|head|heads|go|goes)\s+(?:in|by|over|round|down|along|into|to|shopping)"
    r"|(?:come|comes|visit|visits|shop|shops|go|goes)"
    r"|do\s+(?:my|the|our)\s+(?:weekly\s+|big\s+|food\s+|main\s+)?shop(?:ping)?)" + _E
)
_OBJECT_VERBS: tuple[tuple[str, str], ...] = (
    ("stock up on", "stocks up on"),
    ("treat myself to", "treats themselves to"),
    ("treat ourselves to", "treat themselves to"),
    ("pick up", "picks up"),
    ("picks up", "picks up"),
    ("buy", "buys"),
    ("buys", "buys"),
    ("get", "gets"),
    ("gets", "gets"),
    ("order", "orders"),
    ("orders", "orders"),
    ("collect", "collects"),
    ("collects", "collects"),
    ("grab", "grabs"),
    ("grabs", "grabs"),
    ("pick", "picks"),
    ("have", "has"),
    ("has", "has"),
    ("cook", "cooks"),
    ("cooks", "cooks"),
    ("make", "makes"),
    ("makes", "makes"),
    ("eat", "eats"),
    ("eats", "eats"),
    ("need", "needs"),
    ("needs", "needs"),
    ("take", "takes"),
    ("takes", "takes"),
    ("host", "hosts"),
    ("throw", "throws"),
)
_OBJECT_VERB = re.compile(
    _B
    + r"(?P<verb>"
    + "|".join(re.escape(v).replace(r"\ ", r"\s+") for v, _ in _OBJECT_VERBS)
    + r")"
    + _E
)
_THIRD_PERSON = {" ".join(v.split()): t for v, t in _OBJECT_VERBS}

_TIME_WORDS = re.compile(
    re.sub(
        r"\(\?P<\w+>",
        "(?:",
        r"\s*" + _B + r"(?:(?:on|at|in|for|during|over|every|each|around|by|before|after|most|once"
        r"|twice|a|the)\s+)*(?:"
        + "|".join(p.pattern for _, p in _FREQUENCIES)
        + "|"
        + "|".join(p.pattern for p in (_DAY_PART, _PART_ONLY, _WEEKEND, _MONTH_POINT, _SEASON))
        + ")",
    )
)
_FILLER = re.compile(
    _B + r"(?:usually|always|normally|generally|typically|often|regularly|mostly|tend\s+to"
    r"|tends\s+to|habitually|religiously|also|too|then|really|just|like|probably)" + _E
)
_TRAILING = re.compile(
    r"(?:\s+(?:on|at|in|for|during|over|every|each|and|or|with|the|a|of|"
    r"around|by|before|after|from|you|here|there|then|too))+\s*$"
)
_ONE_OFF = re.compile(
    _B
    + r"(?:this|next|last|coming|tomorrow|tonight|today|yesterday)(?:\s+(?:"
    + _DAY
    + r"|week-?end"
    r"|week|month|" + _PART + r"))?" + _E
)
_CLAUSE_SPLIT = re.compile(r"\s*(?:;|,?\s+but\s+|,?\s+and\s+(?:then\s+)?|,)\s*")
_PRONOUNS = re.compile(r"^(?:i|we|he|she|they|my\s+\w+|our\s+\w+)(?:'m|'re|'s)?\s+")


def extract_habits(text: str) -> list[StatedHabit]:
    """Every shopping habit the message states, in order."""
    original = clean_input(text)
    if not original.strip():
        return []
    low = fold(original)
    habits: list[StatedHabit] = []
    previous_what: str | None = None
    for s_start, s_end in sentences(low):
        for start, end in _clauses(low, s_start, s_end):
            habit = _habit(original, low, start, end, previous_what)
            if habit is None:
                continue
            previous_what = habit.what
            if habit not in habits:
                habits.append(habit)
            if len(habits) >= MAX_HABITS:
                return habits
    return habits


def _clauses(low: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split only where each side has its own time or verb ('on Saturdays, and I buy wine')."""
    bounds = list(_CLAUSE_SPLIT.finditer(low, start, end))
    pieces: list[tuple[int, int]] = []
    pos = start
    for i, bound in enumerate(bounds):
        left_start = bounds[i - 1].end() if i else start
        right_end = bounds[i + 1].start() if i + 1 < len(bounds) else end
        left, right = low[left_start : bound.start()], low[bound.end() : right_end]
        if _says_something(left) and _says_something(right):
            pieces.append((pos, bound.start()))
            pos = bound.end()
    pieces.append((pos, end))
    out = []
    for p_start, p_end in pieces:
        t_start, t_end = trim(low, p_start, p_end, " ,;:-\t\r\n")
        if t_end > t_start:
            out.append((t_start, t_end))
    return out


def _says_something(piece: str) -> bool:
    return bool(
        _when(piece)[0] or _frequency(piece) or _VISIT.search(piece) or _OBJECT_VERB.search(piece)
    )


def _habit(
    original: str, low: str, start: int, end: int, previous_what: str | None
) -> StatedHabit | None:
    clause = low[start:end]
    if _ONE_OFF.search(clause) and _frequency(clause) is None:
        return None
    when, weekly_hint = _when(clause)
    frequency = _frequency(clause)
    habitual = _HABITUAL.search(clause) is not None
    if frequency is None and (weekly_hint or (habitual and when and _DAY_PART.search(clause))):
        frequency = "weekly"
    if not (when or frequency or habitual):
        return None
    what = _what(original, low, start, end)
    if what is None:
        if re.search(_B + r"shop(?:ping)?" + _E, clause):
            what = "shops"
        elif previous_what is not None and (when or frequency):
            what = previous_what
        else:
            return None
    stated = " ".join(original[start:end].split())
    return StatedHabit(what=what, when=when, frequency=frequency, stated=stated)


def _when(clause: str) -> tuple[str | None, bool]:
    """The moment named ('Saturday morning') and whether it recurs every week ('Saturdays')."""
    point = _MONTH_POINT.search(clause)
    if point is not None and re.search(r"month|pay\s*day", point.group(0)):
        words = re.sub(r"^the\s+", "", " ".join(point.group("when").split()))
        return re.sub(_DAY, lambda m: m.group(0).capitalize(), words), False
    day = _DAY_PART.search(clause)
    if day is not None:
        name = day.group("day").capitalize()
        part = day.group("part")
        plural = bool(day.group("dplural") or day.group("pplural"))
        when = f"{name} {' '.join(part.split())}" if part else name
        return when, plural
    weekend = _WEEKEND.search(clause)
    if weekend is not None:
        recurring = bool(weekend.group("plural")) or re.search(
            r"(?:at|on|over|every|each)\s+(?:the\s+)?week-?ends?", clause
        )
        return "weekend", bool(recurring)
    part_only = _PART_ONLY.search(clause)
    if part_only is not None:
        return " ".join(part_only.group("part").split()), False
    season = _SEASON.search(clause)
    if season is not None:
        return season.group("when").title(), False
    return None, False


def _frequency(clause: str) -> str | None:
    for name, pattern in _FREQUENCIES:
        if pattern.search(clause):
            return name
    return None


def _what(original: str, low: str, start: int, end: int) -> str | None:
    """What the customer does, in the third person: 'shops', 'buys a case of wine'."""
    clause = low[start:end]
    visit = _VISIT.search(clause)
    verb = _OBJECT_VERB.search(clause)
    if visit is not None and (verb is None or visit.start() < verb.start()):
        return "shops"
    if verb is None:
        return None
    rest = original[start + verb.end() : end]
    rest_low = clause[verb.end() :]
    # Drop the time words ("each month") and habit adverbs, keeping the customer's object.
    kept: list[str] = []
    pos = 0
    for match in _TIME_WORDS.finditer(rest_low):
        if match.end() == match.start():
            continue
        kept.append(rest[pos : match.start()])
        pos = match.end()
    kept.append(rest[pos:])
    obj = " ".join("".join(kept).split())
    obj = _FILLER.sub("", obj)
    obj = re.sub(r"(?i)" + _B + r"(?:my|our)\s+", "", obj)
    obj = " ".join(obj.split())
    previous = None
    while previous != obj:
        previous = obj
        obj = _TRAILING.sub("", obj).strip(" ,.;:-")
    verb_words = " ".join(verb.group("verb").split())
    third = _THIRD_PERSON.get(verb_words, verb_words)
    if not obj:
        return None if third in ("has", "gets", "takes", "needs", "makes") else third
    return f"{third} {obj}"
