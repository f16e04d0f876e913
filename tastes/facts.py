"""Tastes and constraints from a customer's own words: 'I love veal paupiettes but I hate offal'."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from tastes.models import StatedFact
from tastes.text import Token, clean_input, fold, sentences, split_at, tokens, trim
from tastes.vocabulary import (
    Vocabulary,
    allergen_family,
    clean_phrase,
)

MAX_FACTS = 40

_B = r"(?<![\w'])"  # word start; an apostrophe counts as a letter ("can't" is one word)
_E = r"(?![\w'])"
_NEG = r"(?:don't|dont|do not|doesn't|doesnt|does not|didn't|didnt|did not)"
_CANT = r"(?:can't|cant|cannot|can not|couldn't|could not|unable to)"
_BE = r"(?:is|are|was|were|'s|'re)"

Check = Callable[[str, re.Match[str], int], bool]


@dataclass(frozen=True)
class Cue:
    """A way of stating a taste: the words, what they mean, and where the subject is."""

    pattern: re.Pattern[str]
    polarity: str  # like | dislike | avoid | negate (turns the previous like into a dislike)
    strength: int
    reason: str | None = None  # avoid only: the reason the cue itself states or implies
    explicit: bool = False  # the words state the reason ("allergic"): context cannot change it
    side: str = "after"  # after | before (a noun phrase) | modifier ("nut allergy") | fixed
    subject: str | None = None  # fixed subject, or None to read it from group 'subj'
    weak: bool = False  # used only when no other cue is in the clause
    needs_vocabulary: bool = False  # too common a phrase to trust on an unknown subject
    ambiguous: bool = False
    check: Check | None = None


def _rx(body: str) -> re.Pattern[str]:
    return re.compile(_B + r"(?:" + body + r")" + _E)


_NEGATED_BEFORE = re.compile(r"(?:not|n't|never|no longer|no)\s+(?:\w+\s+){0,2}$")
_REQUEST_BEFORE = re.compile(
    r"(?:would|'d|wd|feel|feels|look|looks|looked|something|anything|things|stuff|seem|seems"
    r"|sounds|you|if|what|whatever|as|just|used to|use to)\s+(?:really\s+|also\s+|quite\s+)?$"
)


def _not_negated(low: str, match: re.Match[str], clause_start: int) -> bool:
    return (
        _NEGATED_BEFORE.search(low[max(clause_start, match.start() - 30) : match.start()]) is None
    )


def _affirmative_taste(low: str, match: re.Match[str], clause_start: int) -> bool:
    """A taste, not a request ("I'd like some lamb") nor a comparison ("looks like")."""
    before = low[max(clause_start, match.start() - 30) : match.start()]
    return _REQUEST_BEFORE.search(before) is None


_DIET_FOLLOWERS = re.compile(
    r"\s*(?:$|[,;:!.?)]|(?:diet|here|only|household|family|now|since|for|too|as|and|but|so|though"
    r"|mostly|myself|anyway|actually|at home|person|nowadays|these days|by choice|i'm|i am|"
    r"we|because|cos|please|thanks|thank)" + _E + ")"
)


def _diet_statement(low: str, match: re.Match[str], clause_start: int) -> bool:
    """'I'm vegetarian', not 'vegetarian sausages' nor 'I'm not vegetarian'."""
    clause_end = _clause_end(low, match.end())
    follows = _DIET_FOLLOWERS.match(low, match.end(), clause_end) is not None
    return follows and _not_negated(low, match, clause_start)


def _clause_end(low: str, pos: int) -> int:
    found = re.compile(r"[,;.!?\n]").search(low, pos)
    return found.start() if found else len(low)


_NO_NOT_A_FOOD = re.compile(
    r"\s*(?:problem|problems|prob|probs|worries|worry|idea|thanks|thank|way|need|rush|longer|one"
    r"|time|matter|doubt|sorry|offence|offense|pressure|clue|reason|chance|hurry|issue|issues"
    r"|more than|less than|later|earlier|sooner|questions|question|comment|plans|other|use)" + _E
)


def _no_food(low: str, match: re.Match[str], clause_start: int) -> bool:
    return _NO_NOT_A_FOOD.match(low, match.end()) is None


_VEG = r"vegetarians?|veggies?|vegans?|pescatarians?|pescetarians?|plant[- ]based"

CUES: tuple[Cue, ...] = (
    # Constraints whose words state the reason.
    Cue(
        _rx(
            r"(?:allergic|alergic|allergick|an allergy|allergy|alergy|allergies|alergies"
            r"|an allergic reaction|allergic reactions?)"
            r"\s+(?:to|with|from)"
        ),
        "avoid",
        -2,
        "allergy",
        explicit=True,
    ),
    Cue(
        _rx(
            r"(?:intolerant|an intolerance|intolerance|intolerances|sensitive|a sensitivity"
            r"|sensitivity|sensitivities)\s+(?:to|of|with)"
        ),
        "avoid",
        -2,
        "intolerance",
        explicit=True,
    ),
    Cue(_rx(r"all?erg(?:y|ies|ic)"), "avoid", -2, "allergy", explicit=True, side="modifier"),
    Cue(
        _rx(r"intoleran(?:t|ce|ces)|sensitivity"),
        "avoid",
        -2,
        "intolerance",
        explicit=True,
        side="modifier",
    ),
    Cue(
        re.compile(r"(?<=\w)(?:-|\s)free" + _E),
        "avoid",
        -2,
        "intolerance",
        side="modifier",
        needs_vocabulary=True,
    ),
    Cue(
        _rx(r"coeliac|celiac|coeliacs|celiacs|coeliac disease|celiac disease"),
        "avoid",
        -2,
        "health",
        explicit=True,
        side="fixed",
        subject="gluten",
        check=_not_negated,
    ),
    Cue(
        _rx(r"diabetic|diabetes"),
        "avoid",
        -2,
        "health",
        explicit=True,
        side="fixed",
        subject="sugar",
        ambiguous=True,
        check=_not_negated,
    ),
    Cue(
        _rx(r"low[- ](?P<subj>salt|sodium|sugar|fat|cholesterol)"),
        "avoid",
        -1,
        "health",
        explicit=True,
        side="fixed",
    ),
    Cue(
        _rx(r"(?P<subj>" + _VEG + r")"),
        "avoid",
        -2,
        "diet",
        explicit=True,
        side="fixed",
        check=_diet_statement,
    ),
    Cue(
        _rx(r"(?P<subj>halal|kosher)"),
        "avoid",
        -2,
        "religion",
        explicit=True,
        side="fixed",
        check=_not_negated,
    ),
    Cue(
        _rx(
            r"(?:doesn't|don't|does not|do not|never)\s+agree(?:s)? with me"
            r"|(?:makes?|made|making)\s+me\s+(?:ill|sick|unwell|bloated|poorly)"
            r"|upsets?\s+my\s+stomach"
            r"|gives?\s+me\s+(?:a\s+)?(?:stomach ache|stomachache|indigestion|migraines?"
            r"|headaches?|heartburn|a rash|hives|reflux)"
        ),
        "avoid",
        -2,
        "intolerance",
        side="before",
    ),
    # Constraints whose reason comes from context ("for religious reasons", "my doctor says").
    Cue(
        _rx(_CANT + r"\s+(?:really\s+|ever\s+)?(?:eat|have|tolerate|digest|handle|take|drink)"),
        "avoid",
        -2,
        "intolerance",
    ),
    Cue(
        _rx(
            r"(?:mustn't|must not|shouldn't|should not|not allowed to|not supposed to"
            r"|am not allowed|i'm not allowed|not meant to)\s+(?:eat|have|drink|touch)"
            r"|(?:have to|need to|must|should|told (?:me )?to|supposed to|meant to|got to)\s+"
            r"(?:avoid|cut out|stay off|stay away from|steer clear of|give up|stop eating)"
        ),
        "avoid",
        -2,
        "health",
    ),
    Cue(
        _rx(
            r"(?:" + _NEG + r"|never|won't|will not|wouldn't|refuse to|no longer|don't ever"
            r"|do not ever)\s+(?:ever\s+|really\s+)?(?:eat|eats|touch|consume|drink|buy|cook)"
            r"|(?:stopped|quit|quitted|gave up|given up|cut out|cutting out)(?:\s+eating)?"
        ),
        "avoid",
        -2,
        "diet",
    ),
    Cue(
        _rx(r"avoid|avoids|avoiding|stay away from|steer clear of|keep away from|stay off"),
        "avoid",
        -2,
        None,
    ),
    Cue(
        _rx(
            r"cut(?:ting)?\s+(?:down|back)\s+on|go(?:ing)?\s+easy\s+on|watch(?:ing)?\s+my"
            r"|limit(?:ing)?\s+my|reduc(?:e|ing)\s+my"
            r"|(?:eat|eating|have|having|drink|drinking)\s+less"
        ),
        "avoid",
        -1,
        "health",
    ),
    # Dislikes.
    Cue(
        _rx(
            _CANT + r"\s+(?:stand|bear|abide|stomach)|hate|hates|hated|loathe|loathes|detest"
            r"|detests|despise|despises|abhor|abhors|really\s+" + _NEG + r"\s+like"
            r"|really\s+dislike|really\s+dislikes|absolutely\s+" + _NEG + r"\s+like"
            r"|(?:am|i'm|im)\s+disgusted\s+by|never\s+touch|can't\s+get\s+on\s+with"
        ),
        "dislike",
        -2,
        check=_not_negated,
    ),
    Cue(
        _rx(
            _NEG + r"\s+(?:really\s+|much\s+|particularly\s+|especially\s+|actually\s+|even\s+)?"
            r"(?:like|enjoy|love|care for|fancy|go for|rate)"
            r"|dislike|dislikes|not\s+(?:a\s+|the\s+|really\s+a\s+)?(?:big\s+|huge\s+|great\s+)?"
            r"(?:fan|lover)\s+of|no\s+(?:fan|lover)\s+of"
            r"|not\s+(?:really\s+|too\s+|very\s+|that\s+|so\s+|overly\s+|particularly\s+"
            r"|all that\s+)?"
            r"(?:keen on|fond of|into|crazy about|mad about|bothered about|big on)"
            r"|never\s+(?:really\s+)?(?:liked|enjoyed|loved|been (?:a fan of|keen on|into))"
            r"|(?:i'd|i would|we'd|we would)\s+rather\s+not(?:\s+have)?"
            r"|prefer\s+not(?:\s+to\s+have)?"
            r"|(?:gone|went|going)\s+off|(?:i'm|im|am)\s+off"
        ),
        "dislike",
        -1,
    ),
    Cue(
        _rx(
            r"(?:" + _BE + r"|taste|tastes|smell|smells|look|looks)\s+"
            r"(?:just\s+|really\s+|absolutely\s+|so\s+|pretty\s+|quite\s+|too\s+)?"
            r"(?:disgusting|revolting|vile|gross|horrible|horrid|awful|terrible|foul|nasty|yucky"
            r"|inedible|overrated)"
            r"|makes?\s+me\s+(?:gag|retch|feel\s+sick)|,?\s*(?:yuck|yuk|eww+|ugh|bleurgh)"
            r"|" + _BE + r"\s+(?:far\s+|much\s+|way\s+|a\s+bit\s+|just\s+)?too\s+"
            r"(?:strong|sweet|rich|salty|fatty|bitter|spicy|gamey|gamy)(?:\s+for\s+(?:me|us))?"
        ),
        "dislike",
        -2,
        side="before",
    ),
    Cue(
        _rx(
            r"(?:isn't|aren't|is not|are not|'s not|'re not|not)\s+(?:really\s+)?"
            r"(?:for me|for us|my thing|our thing|my cup of tea|to my taste)"
            r"|(?:doesn't|don't|does not|do not)\s+do\s+(?:it|much|anything)\s+for\s+me"
        ),
        "dislike",
        -1,
        side="before",
    ),
    Cue(
        _rx(
            r"not so much|not as much|less so|not really|not at all|no thanks|no thank you"
            r"|not so keen|not so fond|not keen|nope|not for me either"
        ),
        "negate",
        -1,
        side="before",
    ),
    # Likes.
    Cue(
        _rx(
            r"(?:absolutely\s+|really\s+|just\s+|do\s+|totally\s+|simply\s+|also\s+|all\s+)?"
            r"(?:love|loves|loved|adore|adores|adored)"
            r"|(?:crazy|mad|nuts|wild|passionate|obsessed|potty)\s+(?:about|for|over|with)"
            r"|(?:big|huge|great|massive|enormous|real|massive|true)\s+fans?\s+of"
            r"|(?:can|could)\s+never\s+say\s+no\s+to|(?<!not\s)big\s+on"
            r"|(?:can't|cannot)\s+get\s+enough\s+of"
            r"|(?:my|our)\s+(?:absolute\s+|all-time\s+|all time\s+|very\s+)?(?:favou?rites?|faves?)"
            r"(?:\s+[\w'-]+){0,3}?\s+(?:is|are|has to be|have to be|would be|must be)"
            r"|(?:my|our)\s+(?:absolute\s+|all-time\s+)?(?:favou?rites?|faves?)\s*:"
        ),
        "like",
        2,
        check=_affirmative_taste,
    ),
    Cue(
        _rx(
            _BE + r"\s+(?:my|our)\s+(?:absolute\s+|all-time\s+|all time\s+|very\s+)?"
            r"(?:favou?rites?|faves?|go-to|weakness|guilty pleasure)"
            r"|" + _BE + r"\s+(?:simply\s+|just\s+)?the\s+best|" + _BE + r"\s+to\s+die\s+for"
            r"|" + _BE + r"\s+(?:pure\s+|just\s+|absolute\s+)?heaven(?:ly)?"
            r"|" + _BE + r"\s+(?:my|our)\s+(?:thing|jam|(?:weekend\s+|little\s+)?treat)"
            r"|" + _BE + r"\s+(?:a\s+)?(?:real\s+|special\s+)?(?:treat|must)\s+(?:for\s+(?:me|us))?"
            r"|makes?\s+(?:me|us)\s+(?:very\s+|so\s+|really\s+)?happy"
        ),
        "like",
        2,
        side="before",
    ),
    Cue(
        _rx(
            r"(?:quite\s+|really\s+|also\s+|do\s+|genuinely\s+|rather\s+|particularly\s+"
            r"|definitely\s+|all\s+|both\s+|still\s+|usually\s+|generally\s+)?"
            r"(?:like|likes|liked|enjoy|enjoys|enjoyed)"
            r"|fond of|(?:a\s+)?fan of|keen on|partial to"
            r"|(?:i'm|im|am|we're|are|really|quite)\s+into"
            r"|prefer|prefers|appreciate|appreciates|(?:a\s+)?(?:sucker|weakness|soft spot)\s+for"
        ),
        "like",
        1,
        check=_affirmative_taste,
    ),
    Cue(
        _rx(
            r"(?:i'm|im|i am|we're|we are|he's|she's|is|are)\s+(?:a\s+)?(?:big\s+|huge\s+|great\s+"
            r"|real\s+|total\s+)?(?P<subj>[\w'-]+(?:\s+[\w'-]+)?)\s+(?:lovers?|addicts?|fiends?"
            r"|fans?|enthusiasts?)(?!\s+of" + _E + ")"
        ),
        "like",
        2,
        side="fixed",
    ),
    Cue(
        _rx(
            _BE + r"\s+(?:really\s+|absolutely\s+|just\s+|so\s+|very\s+|always\s+|pretty\s+)?"
            r"(?:delicious|amazing|fantastic|wonderful|excellent|great|lovely|tasty|gorgeous|superb"
            r"|divine|yummy|nice|good|incredible|brilliant|fabulous|heavenly|perfect)"
        ),
        "like",
        1,
        side="before",
        needs_vocabulary=True,
    ),
    # Bare "no X": a dislike, or a constraint when the context gives a reason.
    Cue(
        _rx(r"no(?:\s+more)?|nothing\s+(?:with|containing|that\s+(?:has|contains))|without"),
        "dislike",
        -1,
        side="after",
        weak=True,
        check=_no_food,
    ),
)

# ---------------------------------------------------------------------------------------------
# Reasons the context gives ("I don't eat pork, I'm Muslim").

_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("allergy", _rx(r"allerg(?:y|ies|ic)|anaphyla\w*|epipen|epi-pen")),
    (
        "religion",
        _rx(
            r"religio(?:n|us)|muslims?|moslems?|islam|islamic|jewish|jews?|judaism|hindus?"
            r"|hinduism|sikhs?|jains?|jainism|buddhists?|faith|ramadan|lent|my beliefs|halal|kosher"
        ),
    ),
    (
        "health",
        _rx(
            r"doctors?|doctor's|gp|physician|cardiologist|dietitian|dietician|nutritionist"
            r"|consultant|cholesterol|blood pressure|hypertension|diabet(?:ic|es)|heart"
            r"|medical|medically|health|healthy|medication|pregnan(?:t|cy)|kidneys?|gout"
            r"|coeliac|celiac|crohn's|ibs|gallbladder|surgery|weight"
        ),
    ),
    ("intolerance", _rx(r"intoleran\w*|digest\w*|stomach|bloat\w*")),
    ("diet", _rx(r"ethical|ethics|ethically|animal welfare|environment\w*|" + _VEG)),
)

_MEAT_WORDS = frozenset({"meat", "red meat", "meats", "poultry", "fish", "seafood", "game"})
_VEGAN_WORDS = frozenset({"animal products", "animal product", "dairy", "milk", "eggs", "egg"})
_DIET_NAMES = {
    "veggie": "vegetarian",
    "veggies": "vegetarian",
    "vegetarians": "vegetarian",
    "vegans": "vegan",
    "pescatarians": "pescatarian",
    "pescetarian": "pescatarian",
    "pescetarians": "pescatarian",
    "plant-based": "vegan",
    "plant based": "vegan",
}
_WILDCARDS = frozenset(
    {
        "anything",
        "everything",
        "nothing",
        "all",
        "most things",
        "most",
        "food",
        "stuff",
        "things",
        "everything else",
        "anything else",
        "the rest",
        "whatever",
        "any",
        "lot",
        "lots",
        "all food",
        "everything you sell",
        "any food",
        "most food",
        "it all",
        "them all",
        "both",
    }
)
# Things customers like that are not food: thanks, not tastes.
_NOT_FOOD = frozenset(
    {
        "idea",
        "ideas",
        "shop",
        "store",
        "service",
        "website",
        "site",
        "place",
        "staff",
        "team",
        "bot",
        "chat",
        "app",
        "offer",
        "offers",
        "deal",
        "deals",
        "suggestion",
        "suggestions",
        "sound",
        "look",
        "way",
        "name",
        "weather",
        "music",
        "shopping",
        "people",
        "day",
        "time",
        "counter",
        "butcher counter",
        "selection",
        "choice",
        "prices",
        "price",
        "delivery",
        "help",
        "advice",
        "question",
        "thought",
        "plan",
        "one",
        "ones",
        "lot",
        "bit",
    }
)
_PRONOUN_START = re.compile(
    r"^(?:i|i'm|im|i've|i'd|we|we're|you|you're|he|she|they|it|it's|its|that's|there|here|them"
    r"|him|me|us|one|ones|what|which|how|when|where|why|who|if|so|to|not|no|and|or|but|yes|yeah"
    r"|ok|okay|please|thanks)" + _E
)
_CUT_WORDS = frozenset(
    {
        "when",
        "whenever",
        "if",
        "because",
        "cause",
        "'cause",
        "cos",
        "coz",
        "since",
        "unless",
        "from",
        "at",
        "in",
        "on",
        "with",
        "you",
        "which",
        "who",
        "that",
        "for",
        "over",
        "than",
        "instead",
        "rather",
        "so",
        "but",
        "though",
        "although",
        "while",
        "is",
        "are",
        "was",
        "were",
        "am",
        "'m",
        "do",
        "does",
        "did",
        "to",
        "anymore",
        "these",
        "nowadays",
        "every",
        "each",
        "now",
        "today",
        "tonight",
        "tomorrow",
        "!",
        "?",
        "(",
        ")",
        ":",
        ";",
        "'re",
        "'ve",
        "too",
        "either",
        "please",
        "thanks",
        "into",
        "by",
        "as",
        "lately",
        "recently",
        "ever",
        "here",
        "there",
        "without",
        "except",
        "no",
        "really",
        "very",
        "a",
        "an",
        "the",
        "my",
    }
)
# A few of the cut words start a phrase legitimately; they cut only after the first word.
_LEADING_OK = frozenset(
    {"a", "an", "the", "my", "that", "these", "really", "very", "every", "each"}
)
_CONJUNCTIONS = frozenset({",", "and", "or", "&", "nor", "plus", "/", "n", "'n'", "+"})
_MAX_UNKNOWN_WORDS = 4

_MARKERS = re.compile(
    _B + r"(?P<m>but|except(?:\s+for)?|apart\s+from|aside\s+from|other\s+than|excluding|save\s+for"
    r"|especially|particularly|in\s+particular|above\s+all|however|although|though|whereas"
    r"|because|'cause|cause|cos|coz)" + _E
)
_EXCEPT = frozenset(
    {"except", "except for", "apart from", "aside from", "other than", "excluding", "save for"}
)
_EMPHASIS = frozenset({"especially", "particularly", "in particular", "above all"})
_WILDCARD_BUT = re.compile(r"(?:anything|everything|all)\s*$")
_CLAUSE_SPLIT = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|&|plus|or)\s+")
_NEW_SUBJECT = re.compile(
    r"^\s*(?:(?:i|we|he|she|they|my\s+\w+|our\s+\w+)(?:'m|'re|'s|'d|'ve)?|im|not|never|no)" + _E
)
_LEADING_NOT = re.compile(r"\s*(?:but\s+)?(?:not|never|no)\s+(?:really\s+|so\s+much\s+|the\s+)?")
_ALSO = re.compile(_B + r"(?:too|also|as well|as much)" + _E)
_FIRST_PERSON = re.compile(_B + r"(?:i|i'm|im|i've|i'd|me|my|we|we're|our|us)" + _E)
_QUESTION_START = re.compile(
    r"^\s*(?:do|does|did|have|has|can|could|would|will|is|are|was|were|what|which|how|where|when"
    r"|why|who|any|got)" + _E
)
_MODIFIER_BOUNDARY = re.compile(
    r"^.*" + _B + r"(?:i|i'm|im|we|we're|my|our|he|she|they|you|is|are|am|was|were|have|has|had|"
    r"got|get|with|from|of|a|an|the|severe|mild|bad|serious|slight|slightly|real|really|very|"
    r"terrible|little|bit|some|any|kind|sort|because|cause|as|also|too|so|and a|suffer|suffers|"
    r"strong|major|minor|life-threatening|diagnosed|ve|'ve|'s|'m|eat|eating|only|need|needs|"
    r"everything|want|wants)" + _E,
    re.DOTALL,
)


@dataclass(frozen=True)
class _Subject:
    name: str
    category: str | None
    matched: bool
    wildcard: bool = False


@dataclass
class _Context:
    """What the previous clause said, for the clauses that lean on it ('but not mutton')."""

    polarity: str | None = None
    strength: int = 0
    reason: str | None = None
    start: int = 0
    fact_indices: tuple[int, ...] = ()


def extract_facts(text: str, vocabulary: Vocabulary) -> list[StatedFact]:
    """Every taste and constraint the customer states in one message, in order."""
    original = clean_input(text)
    if not original.strip():
        return []
    low = fold(original)
    facts: list[StatedFact] = []
    context = _Context()
    for s_start, s_end in sentences(low):
        question = low[s_start:s_end].rstrip().endswith("?") or (
            s_end < len(low) and low[s_end] == "?"
        )
        for start, end, marker in _clauses(low, s_start, s_end):
            if len(facts) >= MAX_FACTS:
                return _deduplicated(facts)
            clause = low[start:end]
            if _QUESTION_START.match(clause) or (question and not _FIRST_PERSON.search(clause)):
                context = _Context()  # a question states nothing about the customer
                continue
            _read_clause(
                original, low, start, end, marker, (s_start, s_end), vocabulary, facts, context
            )
    return _deduplicated(facts)


def _clauses(low: str, start: int, end: int) -> list[tuple[int, int, str | None]]:
    """Clauses of a sentence, split at contrast markers and at ',' / 'and' before a new cue."""
    pieces: list[tuple[int, int, str | None]] = []
    for p_start, p_end, marker in split_at(low, start, end, _MARKERS):
        if marker == "but" and pieces and _WILDCARD_BUT.search(low[pieces[-1][0] : pieces[-1][1]]):
            marker = "except"  # "anything but offal"
        marker = " ".join(marker.split()) if marker else None
        bounds = list(_CLAUSE_SPLIT.finditer(low, p_start, p_end))
        cuts: list[tuple[int, int]] = []
        for i, candidate in enumerate(bounds):
            # Each piece is judged on its own words, up to the next comma or 'and'.
            right_end = bounds[i + 1].start() if i + 1 < len(bounds) else p_end
            right = low[candidate.end() : right_end]
            if _NEW_SUBJECT.match(right) or _has_cue(right):
                cuts.append((candidate.start(), candidate.end()))
        pos, piece_marker = p_start, marker
        for c_start, c_end in cuts:
            pieces.append((pos, c_start, piece_marker))
            pos, piece_marker = c_end, None
        pieces.append((pos, p_end, piece_marker))
    out = []
    for p_start, p_end, marker in pieces:
        t_start, t_end = trim(low, p_start, p_end)
        if t_end > t_start:
            out.append((t_start, t_end, marker))
    return out


def _has_cue(text: str) -> bool:
    """Whether a piece states something new ('nut and sesame allergy' does not: it looks left)."""
    return any(cue.pattern.search(text) for cue in CUES if not cue.weak and cue.side != "modifier")


def _find_cue(low: str, start: int, end: int) -> tuple[Cue, re.Match[str]] | None:
    """The earliest (then longest) cue in a clause; weak cues only when nothing else is there."""
    best: tuple[int, int, Cue, re.Match[str]] | None = None
    for weak_pass in (False, True):
        for cue in CUES:
            if cue.weak != weak_pass:
                continue
            for match in cue.pattern.finditer(low, start, end):
                if cue.check is not None and not cue.check(low, match, start):
                    continue
                rank = (match.start(), -(match.end() - match.start()))
                if best is None or rank < (best[0], best[1]):
                    best = (rank[0], rank[1], cue, match)
                break
        if best is not None:
            return best[2], best[3]
    return None


def _read_clause(
    original: str,
    low: str,
    start: int,
    end: int,
    marker: str | None,
    sentence: tuple[int, int],
    vocabulary: Vocabulary,
    facts: list[StatedFact],
    context: _Context,
) -> None:
    found = _find_cue(low, start, end)
    if found is None:
        _read_leaning_clause(
            original, low, start, end, marker, sentence[0], vocabulary, facts, context
        )
        return
    cue, match = found
    polarity, strength, reason = cue.polarity, cue.strength, cue.reason
    if polarity == "negate":
        if context.polarity != "like":
            return
        polarity, strength = "dislike", -1
    subjects = _subjects_of(original, low, start, end, cue, match, vocabulary)
    hint = None if cue.explicit else _hint(low, (start, end), sentence)
    if cue.weak and hint is not None:
        polarity, strength, reason = "avoid", -2, hint
    elif polarity == "avoid" and hint is not None:
        reason = hint
    if cue.weak or cue.needs_vocabulary:
        subjects = [s for s in subjects if s.matched or (cue.weak and hint is not None)]
    if polarity == "avoid" and cue.reason == "diet" and not cue.explicit:
        subjects = _diet_from_foods(subjects)
    if polarity == "like" and cue.strength == 1 and cue.side == "after":
        subjects = [s for s in subjects if not s.name.startswith("to ")]
    stated_start = start
    if cue.polarity == "negate":
        stated_start = context.start
    stated = _stated(original, stated_start, end)
    concrete = [s for s in subjects if not s.wildcard]
    if (
        not subjects
        and polarity == "avoid"
        and context.fact_indices
        and cue.explicit
        and cue.side in ("modifier", "after")
    ):
        # "No nuts please, I'm allergic": the constraint is about what was just said.
        _turn_into_constraint(original, facts, context, strength, reason, start, end, vocabulary)
        return
    new_indices = []
    for subject in concrete:
        if len(facts) >= MAX_FACTS:
            break
        fact = _fact(subject, polarity, strength, reason, stated, cue.ambiguous, vocabulary)
        new_indices.append(len(facts))
        facts.append(fact)
    context.polarity, context.strength, context.reason = polarity, strength, reason
    context.start = stated_start
    context.fact_indices = tuple(new_indices)
    if cue.side == "fixed" and match.end() < end:
        # "I'm vegetarian and allergic to nuts" keeps reading after a subject-less cue.
        rest_start, rest_end = trim(low, match.end(), end)
        if rest_end > rest_start and _find_cue(low, rest_start, rest_end) is not None:
            _read_clause(
                original, low, rest_start, rest_end, None, sentence, vocabulary, facts, _Context()
            )


def _read_leaning_clause(
    original: str,
    low: str,
    start: int,
    end: int,
    marker: str | None,
    sentence_start: int,
    vocabulary: Vocabulary,
    facts: list[StatedFact],
    context: _Context,
) -> None:
    """A clause without a cue of its own: 'but not mutton', 'except offal', 'especially Comté'."""
    leading_not = _LEADING_NOT.match(low, start, end)
    polarity: str | None
    if marker in _EXCEPT:
        if context.polarity == "like" or context.polarity is None:
            polarity, strength = "dislike", -1
        elif context.polarity == "dislike":
            polarity, strength = "like", 1
        else:
            return
    elif marker in _EMPHASIS:
        polarity, strength = context.polarity, context.strength
    elif leading_not is not None:
        if context.polarity != "like":
            return
        polarity, strength = "dislike", -1
    elif marker in ("but", "however", "though", "although", "whereas") and _ALSO.search(
        low, start, end
    ):
        polarity, strength = context.polarity, context.strength
    else:
        return
    if polarity is None:
        return
    subject_start = leading_not.end() if leading_not is not None else start
    subjects = [
        s for s in _subject_phrases(original, subject_start, end, vocabulary) if not s.wildcard
    ]
    reason = context.reason if polarity == "avoid" else None
    stated = _stated(original, context.start if context.polarity else sentence_start, end)
    indices = []
    for subject in subjects:
        if len(facts) >= MAX_FACTS:
            break
        indices.append(len(facts))
        facts.append(_fact(subject, polarity, strength, reason, stated, False, vocabulary))
    if marker in _EMPHASIS:
        context.fact_indices = context.fact_indices + tuple(indices)


def _turn_into_constraint(
    original: str,
    facts: list[StatedFact],
    context: _Context,
    strength: int,
    reason: str | None,
    start: int,
    end: int,
    vocabulary: Vocabulary,
) -> None:
    stated = _stated(original, context.start, end)
    for index in context.fact_indices:
        old = facts[index]
        subject = _Subject(old.subject, old.category, old.confident)
        facts[index] = _fact(subject, "avoid", strength, reason, stated, False, vocabulary)
    context.polarity, context.reason = "avoid", reason


def _fact(
    subject: _Subject,
    polarity: str,
    strength: int,
    reason: str | None,
    stated: str,
    ambiguous: bool,
    vocabulary: Vocabulary,
) -> StatedFact:
    name, category, matched = subject.name, subject.category, subject.matched
    if polarity == "avoid":
        strength = min(strength, -1)
        if reason in ("allergy", "intolerance", "health", None):
            family = allergen_family(name)
            if family is not None:
                # An allergen runs across the catalogue's categories, so it belongs to none.
                name, category, matched = family, None, True
        if name in _DIET_NAMES:
            name = _DIET_NAMES[name]
    else:
        reason = None
    return StatedFact(
        subject=name,
        polarity=polarity,
        reason=reason,
        strength=strength,
        stated=stated,
        category=category,
        confident=matched and not ambiguous,
    )


def _subjects_of(
    original: str,
    low: str,
    start: int,
    end: int,
    cue: Cue,
    match: re.Match[str],
    vocabulary: Vocabulary,
) -> list[_Subject]:
    if cue.side == "fixed":
        if cue.subject is not None:
            return [_Subject(cue.subject, None, True)]
        named = match.group("subj")
        name = _DIET_NAMES.get(named, named)
        if cue.polarity == "like":
            return _subject_phrases(original, match.start("subj"), match.end("subj"), vocabulary)
        term = vocabulary.lookup(name)
        return [_Subject(name, term.category if term else None, True)]
    if cue.side == "after":
        return _subject_phrases(original, match.end(), end, vocabulary)
    if cue.side == "modifier":
        before = low[start : match.start()]
        boundary = _MODIFIER_BOUNDARY.match(before)
        phrase_start = start + (boundary.end() if boundary else 0)
        return _subject_phrases(original, phrase_start, match.start(), vocabulary, cut=False)
    return _subject_phrases(original, start, match.start(), vocabulary)


def _subject_phrases(
    original: str, start: int, end: int, vocabulary: Vocabulary, cut: bool = True
) -> list[_Subject]:
    """The things named in a phrase: catalogue terms where possible, split at 'and' / ','."""
    phrase = original[start:end]
    toks = tokens(phrase)
    if not toks:
        return []
    found = vocabulary.find(toks)
    covered = {i for f in found for i in range(f.start, f.end)}
    stop = len(toks)
    if cut:
        for i, tok in enumerate(toks):
            low_text = tok.text.lower()
            if i in covered or low_text not in _CUT_WORDS:
                continue
            if i == 0 or (low_text in _LEADING_OK and not _after_conjunction(toks, i)):
                continue
            stop = i
            break
    parts: list[tuple[int, int]] = []
    part_start = 0
    for i in range(stop):
        if i not in covered and toks[i].text.lower() in _CONJUNCTIONS:
            parts.append((part_start, i))
            part_start = i + 1
    parts.append((part_start, stop))
    subjects: list[_Subject] = []
    for p_start, p_end in parts:
        if p_end <= p_start:
            continue
        in_part = [f for f in found if f.start >= p_start and f.end <= p_end]
        text = phrase[toks[p_start].start : toks[p_end - 1].end]
        cleaned = clean_phrase(text)
        if not cleaned or _PRONOUN_START.match(cleaned):
            continue
        if cleaned in _NOT_FOOD:
            continue
        if cleaned in _WILDCARDS:
            subjects.append(_Subject(cleaned, None, False, wildcard=True))
            continue
        best = vocabulary.best(in_part)
        if best is not None:
            subjects.append(_Subject(best.term.canonical, best.term.category, True))
            continue
        if len(cleaned.split()) > _MAX_UNKNOWN_WORDS or not any(c.isalpha() for c in cleaned):
            continue
        subjects.append(_Subject(cleaned, None, False))
    return subjects


def _after_conjunction(toks: list[Token], i: int) -> bool:
    return i > 0 and toks[i - 1].text.lower() in _CONJUNCTIONS


def _diet_from_foods(subjects: list[_Subject]) -> list[_Subject]:
    """'I don't eat meat (or fish)' is a vegetarian diet; 'no animal products' a vegan one."""
    names = {s.name.lower() for s in subjects}
    if not names:
        return subjects
    if (
        names & {"animal products", "animal product"}
        or {"meat", "dairy"} <= names
        or ("meat" in names and names & {"egg", "eggs", "milk"})
    ):
        return [_Subject("vegan", None, True)]
    if "meat" in names and names <= _MEAT_WORDS:
        return [_Subject("vegetarian", None, True)]
    return subjects


def _hint(low: str, clause: tuple[int, int], sentence: tuple[int, int]) -> str | None:
    """The reason the context gives: in the clause, else nearest in the sentence, else anywhere."""
    position = clause[0]
    for area_start, area_end in (clause, sentence, (0, len(low))):
        nearest: tuple[int, str] | None = None
        for reason, pattern in _HINTS:
            for match in pattern.finditer(low, area_start, area_end):
                distance = abs(match.start() - position)
                if nearest is None or distance < nearest[0]:
                    nearest = (distance, reason)
        if nearest is not None:
            return nearest[1]
    return None


def _stated(original: str, start: int, end: int) -> str:
    start, end = trim(original, start, end, " ,;:-\t\r\n")
    return " ".join(original[start:end].split())


def _deduplicated(facts: list[StatedFact]) -> list[StatedFact]:
    """One fact per subject and polarity; a stated reason beats a guessed one."""
    out: list[StatedFact] = []
    seen: dict[tuple[str, str], int] = {}
    for fact in facts:
        key = (fact.subject.casefold(), fact.polarity)
        if key not in seen:
            seen[key] = len(out)
            out.append(fact)
            continue
        kept = out[seen[key]]
        if (
            fact.polarity == "avoid"
            and fact.reason != kept.reason
            and fact.reason
            in (
                "health",
                "allergy",
                "religion",
            )
        ):
            out[seen[key]] = replace(kept, reason=fact.reason)
    return out
