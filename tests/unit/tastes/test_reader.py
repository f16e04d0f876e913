"""The learned fact reader (models/facts/, `make train-facts`): what a customer says becomes facts.

These are the statements any customer may make and that the reader must never get wrong; the
reader's figures on wordings it never saw are in models/facts/report.json and `make heldout`.
"""

from __future__ import annotations

from datetime import date

import pytest

from tastes import StatedFact, Vocabulary, asked_for, extract_facts

TODAY = date(2026, 11, 30)  # a Monday


def read(text: str, vocabulary: Vocabulary) -> list[StatedFact]:
    return extract_facts(text, vocabulary, TODAY)


def brief(facts: list[StatedFact]) -> set[tuple[str, str]]:
    return {(f.subject.casefold(), f.polarity) for f in facts}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I love veal paupiettes", {("veal paupiettes", "like")}),
        ("I adore Comté", {("comté", "like")}),
        ("I can't stand liver pâté", {("liver pâté", "dislike")}),
        ("I hate mutton", {("mutton", "dislike")}),
        ("I really enjoy smoked salmon", {("smoked salmon", "like")}),
        ("I like lamb but not mutton", {("lamb", "like"), ("mutton", "dislike")}),
    ],
)
def test_plain_tastes(text: str, expected: set[tuple[str, str]], vocabulary: Vocabulary) -> None:
    facts = read(text, vocabulary)
    assert brief(facts) == expected  # stored at once, or asked about when less sure
    assert all(f.stated == text for f in facts)


@pytest.mark.parametrize("text", ["I love veal paupiettes", "I'm allergic to walnuts"])
def test_the_plainest_statements_are_stored_at_once(text: str, vocabulary: Vocabulary) -> None:
    facts = read(text, vocabulary)
    assert facts and all(f.confident for f in facts)


@pytest.mark.parametrize(
    ("text", "subject", "reason"),
    [
        ("I'm allergic to walnuts", "walnuts", "allergy"),
        ("I'm lactose intolerant", "lactose", "intolerance"),
        ("I'm vegetarian", "vegetarian", "diet"),
        ("we only eat halal", "halal", "religion"),
        ("I'm coeliac", "gluten", "health"),
    ],
)
def test_constraints_are_avoids_with_their_reason(
    text: str, subject: str, reason: str, vocabulary: Vocabulary
) -> None:
    (fact,) = read(text, vocabulary)
    assert (fact.subject.casefold(), fact.polarity, fact.reason) == (subject, "avoid", reason)


@pytest.mark.parametrize(
    "text",
    [
        "do you have lamb?",
        "how much is the Comté?",
        "I'd like to order two veal paupiettes for Saturday",
        "what wine goes with duck?",
        "yes please",
        "any offers for me?",
        "",
    ],
)
def test_questions_and_orders_write_nothing(text: str, vocabulary: Vocabulary) -> None:
    assert read(text, vocabulary) == []


def test_a_fact_beside_a_name_or_a_question_is_read(vocabulary: Vocabulary) -> None:
    assert ("comté", "like") in brief(read("hi I'm Marie, I love Comté", vocabulary))
    assert ("lamb", "like") in brief(read("I'm Jo and I love lamb", vocabulary))
    assert ("comté", "like") in brief(read("any offers? I adore Comté", vocabulary))


@pytest.mark.parametrize(
    "text",
    [
        "peanuts could kill me",
        "I carry an epipen because of shellfish",
        "my throat swells up if I eat prawns",
        "im alergic to shelfish",
    ],
)
def test_an_allergy_said_without_the_word_is_never_dropped(
    text: str, vocabulary: Vocabulary
) -> None:
    facts = read(text, vocabulary)
    assert facts and all(f.polarity == "avoid" for f in facts)


def test_a_like_is_never_written_where_an_avoid_was_said(vocabulary: Vocabulary) -> None:
    for text in ("I love prawns but they make my lips swell", "nuts? I'd die, literally"):
        assert all(f.polarity != "like" for f in read(text, vocabulary))


def test_household_members_facts_are_theirs(vocabulary: Vocabulary) -> None:
    facts = {f.subject.casefold(): f for f in read("my husband can't stand rabbit", vocabulary)}
    assert (facts["rabbit"].polarity, facts["rabbit"].member) == ("dislike", "husband")
    kids = {f.subject.casefold(): f for f in read("the kids love sausages", vocabulary)}
    assert (kids["sausages"].polarity, kids["sausages"].member) == ("like", "kids")
    (own,) = read("I love lamb", vocabulary)
    assert own.member is None


def test_the_current_state_wins_over_the_past(vocabulary: Vocabulary) -> None:
    assert brief(read("I used to hate olives but now I love them", vocabulary)) == {
        ("olives", "like")
    }


def test_a_time_bounded_fact_ends(vocabulary: Vocabulary) -> None:
    (fact,) = read("this week I'm off red meat", vocabulary)
    assert fact.polarity == "avoid"
    assert fact.until is not None and fact.until.date() == date(2026, 12, 6)
    (lasting,) = read("I don't eat red meat", vocabulary)
    assert lasting.until is None


def test_a_food_outside_the_catalogue_is_heard(vocabulary: Vocabulary) -> None:
    assert ("rhubarb", "like") in brief(read("I adore rhubarb", vocabulary))


def test_a_misspelt_food_lands_on_the_shops_word(vocabulary: Vocabulary) -> None:
    assert ("comté", "like") in brief(read("luv comtee", vocabulary))


def test_emoji_say_what_words_would(vocabulary: Vocabulary) -> None:
    assert ("mutton", "dislike") in brief(read("mutton 🤮", vocabulary))
    assert ("smoked salmon", "like") in brief(read("smoked salmon 😍😍", vocabulary))


def test_every_fact_carries_a_probability(vocabulary: Vocabulary) -> None:
    facts = read("I love lamb and I'm allergic to walnuts", vocabulary)
    assert facts and all(0.0 < f.confidence <= 1.0 for f in facts)


@pytest.mark.parametrize(
    ("text", "diet"),
    [
        ("vegan 🌱 anything for me?", "vegan"),
        ("veggie + really into wine, especially natural stuff", "vegetarian"),
        ("pescatarian - fish is fine, no meat", "pescatarian"),
        ("coeliac btw", "gluten"),
    ],
)
def test_a_diet_named_as_ones_own_is_stored_however_it_is_said(
    text: str, diet: str, vocabulary: Vocabulary
) -> None:
    facts = {f.subject.casefold(): f for f in read(text, vocabulary)}
    assert facts[diet].polarity == "avoid" and facts[diet].confident
    assert facts[diet].member is None


def test_a_diet_is_never_a_like_and_a_denied_one_is_no_diet(vocabulary: Vocabulary) -> None:
    [halal] = [f for f in read("I buy halal lamb every week", vocabulary) if f.subject == "halal"]
    assert halal.polarity == "avoid" and not halal.confident  # it only qualifies the lamb: asked
    assert not [f for f in read("I'm not vegetarian", vocabulary) if f.subject == "vegetarian"]
    assert not [f for f in read("I used to be vegan", vocabulary) if f.subject == "vegan"]


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("any deals on smoked salmon?", ["smoked salmon"]),
        ("looking for some lamb for sunday", ["lamb"]),
        ("I love Comté", []),  # a taste stated: remembered, not merely asked for
        ("no mutton for me thanks, never liked it", []),
        ("I'm vegetarian, what have you got?", []),
    ],
)
def test_what_a_message_asks_for(text: str, asked: list[str], vocabulary: Vocabulary) -> None:
    assert [a.casefold() for a in asked_for(text, vocabulary)] == asked
