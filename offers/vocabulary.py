"""Words customers use for food: folding, singular forms, allergen and diet aliases (pure)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

Phrase = tuple[str, ...]

# Grammatical words that say nothing about food; ignored when counting shared words.
STOPWORDS = frozenset(
    {
        *("a", "an", "the", "of", "with", "and", "or", "in", "on", "for", "to", "from"),
        *("my", "our", "your", "some", "any"),
        *("de", "du", "des", "la", "le", "les", "au", "aux", "d", "l", "en", "et"),
    }
)

_FRENCH_LINKS = frozenset({"de", "du", "des", "au", "aux", "a", "la", "en", "d"})
_IRREGULAR_SINGULAR = {
    "loaves": "loaf",
    "leaves": "leaf",
    "calves": "calf",
    "halves": "half",
    "knives": "knife",
    "potatoes": "potato",
    "tomatoes": "tomato",
    "geese": "goose",
    "oxen": "ox",
    "mice": "mouse",
}
_IRREGULAR_PLURAL = {v: k for k, v in _IRREGULAR_SINGULAR.items()}
# Words whose final "s" is not a plural ending.
_NOT_PLURAL = frozenset(
    {"asparagus", "houmous", "hummus", "couscous", "octopus", "swiss", "molasses", "species"}
    | {"sans", "gras", "ras", "dos", "bras", "fois"}  # French words that end in "s"
)


def fold(text: str) -> str:
    """Lower-case, without accents or punctuation: "Pâté de Foie!" → "pate de foie"."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"'s\b", "", text)  # "cow's milk" and "cows milk" are the same thing
    return " ".join(re.sub(r"[^a-z0-9%]+", " ", text).split())


def singular(word: str) -> str:
    """A simple English singular of one folded word: "paupiettes" → "paupiette"."""
    if word in _IRREGULAR_SINGULAR:
        return _IRREGULAR_SINGULAR[word]
    if len(word) <= 3 or word in _NOT_PLURAL or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "zes", "sses")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def plural(word: str) -> str:
    """A simple English plural of one singular folded word: "walnut" → "walnuts"."""
    if word in _IRREGULAR_PLURAL:
        return _IRREGULAR_PLURAL[word]
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def phrase(text: str) -> Phrase:
    """The canonical form used for matching: folded words, each made singular."""
    return tuple(singular(w) for w in fold(text).split())


def forms(text: str) -> set[str]:
    """The lower-case text with its folded, singular and plural spellings (last word varies)."""
    lowered = " ".join(text.lower().split())
    words = fold(text).split()
    if not words:
        return {lowered} if lowered else set()
    if _FRENCH_LINKS.intersection(words[:-1]):
        # "paupiettes de veau": the noun that takes the plural is not the last word.
        return {lowered, " ".join(words)}
    head, last = words[:-1], singular(words[-1])
    return {lowered, " ".join(words), " ".join([*head, last]), " ".join([*head, plural(last)])}


def contains(outer: Phrase, inner: Phrase) -> bool:
    """True if `inner` occurs in `outer` as whole consecutive words."""
    n = len(inner)
    return n > 0 and any(outer[i : i + n] == inner for i in range(len(outer) - n + 1))


def content_words(p: Phrase) -> frozenset[str]:
    """The words of a phrase that carry meaning."""
    return frozenset(w for w in p if w not in STOPWORDS)


def _aliases(table: dict[str, Iterable[str]]) -> dict[Phrase, frozenset[str]]:
    return {phrase(alias): frozenset(values) for alias, values in table.items()}


# What a customer may call an allergen, mapped to the catalogue's allergen names. Over-inclusive
# on purpose: "shellfish" in everyday speech covers oysters and mussels too.
ALLERGEN_ALIASES: dict[Phrase, frozenset[str]] = _aliases(
    {
        **dict.fromkeys(
            [
                "nut",
                "tree nut",
                "nut allergy",
                "walnut",
                "hazelnut",
                "almond",
                "pistachio",
                "cashew",
                "pecan",
                "macadamia",
                "brazil nut",
                "praline",
            ],
            ["nuts"],
        ),
        **dict.fromkeys(["peanut", "groundnut", "arachide", "peanut butter"], ["peanuts"]),
        **dict.fromkeys(
            ["milk", "dairy", "lactose", "cow milk", "butter", "cream", "casein", "whey"],
            ["milk"],
        ),
        **dict.fromkeys(["gluten", "wheat", "barley", "rye", "spelt", "oat"], ["gluten"]),
        **dict.fromkeys(["egg", "egg white", "egg yolk"], ["egg"]),
        "fish": ["fish"],
        **dict.fromkeys(["shellfish", "seafood"], ["shellfish", "molluscs"]),
        **dict.fromkeys(
            [
                "crustacean",
                "prawn",
                "shrimp",
                "crab",
                "lobster",
                "langoustine",
                "crayfish",
                "scampi",
            ],
            ["shellfish"],
        ),
        **dict.fromkeys(
            [
                "mollusc",
                "mollusk",
                "oyster",
                "mussel",
                "clam",
                "scallop",
                "squid",
                "octopus",
                "snail",
                "escargot",
                "cockle",
                "whelk",
            ],
            ["molluscs"],
        ),
        **dict.fromkeys(["soy", "soya", "soybean", "tofu", "soy lecithin"], ["soy"]),
        **dict.fromkeys(["sesame", "sesame seed", "tahini"], ["sesame"]),
        **dict.fromkeys(["celery", "celeriac"], ["celery"]),
        "mustard": ["mustard"],
        **dict.fromkeys(
            ["sulphite", "sulfite", "sulphur dioxide", "sulfur dioxide", "so2"], ["sulphites"]
        ),
        **dict.fromkeys(["lupin", "lupine"], ["lupin"]),
    }
)

# What a customer may call a diet, mapped to the catalogue's diet names. Avoiding "meat" means
# eating only what a pescatarian can.
DIET_ALIASES: dict[Phrase, frozenset[str]] = _aliases(
    {
        **dict.fromkeys(["vegetarian", "veggie"], ["vegetarian"]),
        **dict.fromkeys(["vegan", "plant based"], ["vegan"]),
        **dict.fromkeys(["pescatarian", "pescetarian", "meat"], ["pescatarian"]),
        "halal": ["halal"],
        **dict.fromkeys(["kosher", "kashrut"], ["kosher"]),
        **dict.fromkeys(["gluten free", "coeliac", "celiac", "coeliac disease"], ["gluten-free"]),
    }
)

# Everyday group words a product answers to, beyond its own tags.
MEAT_TAGS = frozenset(
    {"beef", "veal", "pork", "lamb", "mutton", "chicken", "duck", "poultry", "game", "offal"}
)
ALLERGEN_GROUP_WORDS: dict[str, tuple[str, ...]] = {
    "milk": ("dairy",),
    "fish": ("seafood",),
    "shellfish": ("seafood",),
    "molluscs": ("seafood", "shellfish"),
}


def allergens_named(subject: str) -> frozenset[str]:
    """The catalogue allergens a customer's subject names, if any: "walnuts" → {"nuts"}."""
    return ALLERGEN_ALIASES.get(phrase(subject), frozenset())


def diets_named(subject: str) -> frozenset[str]:
    """The catalogue diets a customer's subject names, if any: "veggie" → {"vegetarian"}."""
    return DIET_ALIASES.get(phrase(subject), frozenset())
