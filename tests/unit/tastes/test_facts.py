"""extract_facts: what the customer says about their tastes becomes structured facts."""

from __future__ import annotations

import pytest

from tastes import StatedFact, Vocabulary, extract_facts

Expected = list[tuple[str, str, str | None, int]]


def brief(facts: list[StatedFact]) -> Expected:
    return [(f.subject, f.polarity, f.reason, f.strength) for f in facts]


LIKES: list[tuple[str, Expected]] = [
    ("I love veal paupiettes", [("veal paupiettes", "like", None, 2)]),
    ("I adore Comté", [("Comté", "like", None, 2)]),
    ("I quite like lamb", [("lamb", "like", None, 1)]),
    ("I enjoy a good Burgundy", [("Burgundy", "like", None, 1)]),
    ("big fan of Burgundy", [("Burgundy", "like", None, 2)]),
    ("paupiettes are my favourite", [("veal paupiettes", "like", None, 2)]),
    ("my favourite cheese is Roquefort", [("Roquefort", "like", None, 2)]),
    ("I'm a big cheese lover", [("cheese", "like", None, 2)]),
    ("Comté is delicious", [("Comté", "like", None, 1)]),
    ("I'm really into smoked salmon", [("smoked salmon", "like", None, 1)]),
    ("I like to cook lamb on Sundays", [("lamb", "like", None, 1)]),
    ("honestly the paupiettes are to die for", [("veal paupiettes", "like", None, 2)]),
    ("I like my coffee without sugar", [("coffee", "like", None, 1)]),
]

DISLIKES: list[tuple[str, Expected]] = [
    ("I can't stand liver pâté", [("liver pâté", "dislike", None, -2)]),
    ("I hate offal", [("offal", "dislike", None, -2)]),
    ("I don't like mutton", [("mutton", "dislike", None, -1)]),
    ("I really don't like mutton", [("mutton", "dislike", None, -2)]),
    ("not a fan of blue cheese", [("blue cheese", "dislike", None, -1)]),
    ("no goat cheese for me", [("goat cheese", "dislike", None, -1)]),
    ("I'm not keen on Roquefort", [("Roquefort", "dislike", None, -1)]),
    ("Roquefort is disgusting", [("Roquefort", "dislike", None, -2)]),
    ("mutton isn't for me", [("mutton", "dislike", None, -1)]),
]

SEVERAL: list[tuple[str, Expected]] = [
    ("I like lamb but not mutton", [("lamb", "like", None, 1), ("mutton", "dislike", None, -1)]),
    ("I like lamb, not mutton", [("lamb", "like", None, 1), ("mutton", "dislike", None, -1)]),
    (
        "I like lamb, mutton not so much",
        [("lamb", "like", None, 1), ("mutton", "dislike", None, -1)],
    ),
    (
        "I love cheese, especially Comté, but I hate Roquefort",
        [
            ("cheese", "like", None, 2),
            ("Comté", "like", None, 2),
            ("Roquefort", "dislike", None, -2),
        ],
    ),
    ("anything except offal", [("offal", "dislike", None, -1)]),
    ("I eat anything but offal", [("offal", "dislike", None, -1)]),
    (
        "I eat everything apart from offal and tripe",
        [("offal", "dislike", None, -1), ("tripe", "dislike", None, -1)],
    ),
    ("I love beef and pork", [("beef", "like", None, 2), ("pork", "like", None, 2)]),
    (
        "I love beef, pork and lamb",
        [("beef", "like", None, 2), ("pork", "like", None, 2), ("lamb", "like", None, 2)],
    ),
    (
        "my wife loves Comté and I love Roquefort",
        [("Comté", "like", None, 2), ("Roquefort", "like", None, 2)],
    ),
    (
        "I adore Burgundy. I hate offal; mutton is fine",
        [("Burgundy", "like", None, 2), ("offal", "dislike", None, -2)],
    ),
    (
        "I don't like fish except smoked salmon",
        [("fish", "dislike", None, -1), ("smoked salmon", "like", None, 1)],
    ),
]

CONSTRAINTS: list[tuple[str, Expected]] = [
    ("I'm allergic to nuts", [("nuts", "avoid", "allergy", -2)]),
    ("nut allergy", [("nuts", "avoid", "allergy", -2)]),
    ("I have a severe nut allergy", [("nuts", "avoid", "allergy", -2)]),
    ("I'm allergic to walnuts and hazelnuts", [("nuts", "avoid", "allergy", -2)]),
    ("I'm allergic to tree nuts", [("nuts", "avoid", "allergy", -2)]),
    ("I'm allergic to peanuts", [("peanuts", "avoid", "allergy", -2)]),
    (
        "I have a peanut and sesame allergy",
        [("peanuts", "avoid", "allergy", -2), ("sesame", "avoid", "allergy", -2)],
    ),
    ("my son is allergic to prawns", [("shellfish", "avoid", "allergy", -2)]),
    ("allergic to shrimp and crab", [("shellfish", "avoid", "allergy", -2)]),
    ("I'm allergic to eggs", [("egg", "avoid", "allergy", -2)]),
    ("I'm allergic to soya", [("soy", "avoid", "allergy", -2)]),
    ("sulfites give me migraines", [("sulphites", "avoid", "intolerance", -2)]),
    (
        "I'm allergic to celery and mustard",
        [
            ("celery", "avoid", "allergy", -2),
            ("mustard", "avoid", "allergy", -2),
        ],
    ),
    ("I'm lactose intolerant", [("milk", "avoid", "intolerance", -2)]),
    ("dairy doesn't agree with me", [("milk", "avoid", "intolerance", -2)]),
    ("I'm intolerant to wheat", [("gluten", "avoid", "intolerance", -2)]),
    ("I can't eat gluten", [("gluten", "avoid", "intolerance", -2)]),
    ("I can't eat gluten, I'm coeliac", [("gluten", "avoid", "health", -2)]),
    ("I'm celiac", [("gluten", "avoid", "health", -2)]),
    ("I'm vegetarian", [("vegetarian", "avoid", "diet", -2)]),
    ("I'm a vegetarian", [("vegetarian", "avoid", "diet", -2)]),
    ("I don't eat meat", [("vegetarian", "avoid", "diet", -2)]),
    ("I don't eat meat or fish", [("vegetarian", "avoid", "diet", -2)]),
    ("I'm vegan", [("vegan", "avoid", "diet", -2)]),
    ("I don't eat animal products", [("vegan", "avoid", "diet", -2)]),
    ("I'm pescatarian", [("pescatarian", "avoid", "diet", -2)]),
    ("I eat halal", [("halal", "avoid", "religion", -2)]),
    ("I only eat halal", [("halal", "avoid", "religion", -2)]),
    ("I'm Muslim, halal only", [("halal", "avoid", "religion", -2)]),
    ("we keep kosher", [("kosher", "avoid", "religion", -2)]),
    ("I don't eat pork for religious reasons", [("pork", "avoid", "religion", -2)]),
    ("I don't eat pork because I'm Muslim", [("pork", "avoid", "religion", -2)]),
    ("my doctor says no salt", [("salt", "avoid", "health", -2)]),
    ("my doctor told me to avoid salt", [("salt", "avoid", "health", -2)]),
    ("no nuts please, I'm allergic", [("nuts", "avoid", "allergy", -2)]),
    (
        "Nothing with nuts please, my daughter has an allergy",
        [("nuts", "avoid", "allergy", -2)],
    ),
    ("No pork, I'm Muslim", [("pork", "avoid", "religion", -2)]),
    (
        "I don't eat pork or shellfish, I keep kosher",
        [
            ("pork", "avoid", "religion", -2),
            ("shellfish", "avoid", "religion", -2),
            ("kosher", "avoid", "religion", -2),
        ],
    ),
    ("I'm cutting down on sugar", [("sugar", "avoid", "health", -1)]),
    ("I never eat lamb", [("lamb", "avoid", "diet", -2)]),
    ("I'm on a low-salt diet", [("salt", "avoid", "health", -1)]),
    ("I love nuts but I'm allergic", [("nuts", "avoid", "allergy", -2)]),
    (
        "I'm vegetarian and allergic to nuts",
        [("vegetarian", "avoid", "diet", -2), ("nuts", "avoid", "allergy", -2)],
    ),
    (
        "I love cheese but I'm lactose intolerant",
        [("cheese", "like", None, 2), ("milk", "avoid", "intolerance", -2)],
    ),
    (
        "I'm allergic to nuts and I don't eat pork for religious reasons",
        [("nuts", "avoid", "allergy", -2), ("pork", "avoid", "religion", -2)],
    ),
]

NOTHING_STATED = [
    "I'd like some lamb please",
    "I'd love some paupiettes for Saturday",
    "Do you have vegetarian sausages?",
    "Is your lamb halal?",
    "I'm not vegetarian",
    "I don't hate lamb",
    "feel free to call me",
    "no problem, thanks",
    "The weather is nice",
    "I love it",
    "hello there",
    "I like that idea",
    "I love your shop!",
    "I love the butcher counter",
]


@pytest.mark.parametrize(("text", "expected"), LIKES + DISLIKES, ids=lambda v: str(v)[:40])
def test_likes_and_dislikes(text: str, expected: Expected, vocabulary: Vocabulary) -> None:
    assert brief(extract_facts(text, vocabulary)) == expected


@pytest.mark.parametrize(("text", "expected"), SEVERAL, ids=lambda v: str(v)[:40])
def test_several_facts_contrast_and_negation(
    text: str, expected: Expected, vocabulary: Vocabulary
) -> None:
    assert brief(extract_facts(text, vocabulary)) == expected


@pytest.mark.parametrize(("text", "expected"), CONSTRAINTS, ids=lambda v: str(v)[:40])
def test_constraints_are_avoided_with_their_reason(
    text: str, expected: Expected, vocabulary: Vocabulary
) -> None:
    assert brief(extract_facts(text, vocabulary)) == expected


@pytest.mark.parametrize("text", NOTHING_STATED)
def test_requests_questions_and_negated_diets_state_nothing(
    text: str, vocabulary: Vocabulary
) -> None:
    assert extract_facts(text, vocabulary) == []


def test_a_fact_keeps_the_customers_own_words(vocabulary: Vocabulary) -> None:
    facts = extract_facts(
        "Hello! I love veal paupiettes, but I can't stand liver pâté.", vocabulary
    )
    assert [f.stated for f in facts] == ["I love veal paupiettes", "I can't stand liver pâté"]


def test_a_fact_leaning_on_the_previous_clause_quotes_both(vocabulary: Vocabulary) -> None:
    facts = extract_facts("I like lamb but not mutton", vocabulary)
    assert facts[1].stated == "I like lamb but not mutton"


def test_known_subjects_carry_their_category_and_are_confident(vocabulary: Vocabulary) -> None:
    (fact,) = extract_facts("I adore comte", vocabulary)
    assert (fact.subject, fact.category, fact.confident) == ("Comté", "cheese", True)


def test_unknown_subjects_are_kept_but_not_confident(vocabulary: Vocabulary) -> None:
    (fact,) = extract_facts("I love the black pudding", vocabulary)
    assert (fact.subject, fact.polarity, fact.confident) == ("black pudding", "like", False)
    assert fact.category is None


def test_longest_vocabulary_term_wins_in_a_long_phrase(vocabulary: Vocabulary) -> None:
    (fact,) = extract_facts("I love those lovely veal paupiettes from your counter", vocabulary)
    assert fact.subject == "veal paupiettes"


def test_more_specific_term_beats_the_shorter_one(vocabulary: Vocabulary) -> None:
    (fact,) = extract_facts("I really like your lamb shoulder", vocabulary)
    assert fact.subject == "lamb shoulder"


def test_an_inferred_constraint_is_not_confident(vocabulary: Vocabulary) -> None:
    (fact,) = extract_facts("I'm diabetic", vocabulary)
    assert (fact.subject, fact.polarity, fact.reason, fact.confident) == (
        "sugar",
        "avoid",
        "health",
        False,
    )


def test_reason_is_only_given_for_avoid(vocabulary: Vocabulary) -> None:
    facts = extract_facts("I love lamb but I hate offal; I'm allergic to nuts", vocabulary)
    assert [(f.polarity, f.reason) for f in facts] == [
        ("like", None),
        ("dislike", None),
        ("avoid", "allergy"),
    ]


def test_the_same_fact_said_twice_is_returned_once(vocabulary: Vocabulary) -> None:
    facts = extract_facts("I love lamb. Really, I love lamb!", vocabulary)
    assert brief(facts) == [("lamb", "like", None, 2)]


def test_curly_apostrophes_are_understood(vocabulary: Vocabulary) -> None:
    facts = extract_facts("I can\u2019t stand liver pate", vocabulary)
    assert brief(facts) == [("liver pâté", "dislike", None, -2)]
