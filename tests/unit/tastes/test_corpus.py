"""The fact reader's annotated corpus (bot/facts/): it loads, it is big and varied enough, and a
designer's mistake is reported with where it is."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest
import yaml

from rapport.settings import ROOT
from tastes.corpus import CorpusError, load, parse


def test_the_corpus_loads_and_keeps_its_promises() -> None:
    examples = load()
    handwritten = [e for e in examples if not e.generated]
    assert len(examples) >= 3000
    assert len(handwritten) * 3 >= len(examples), "at least a third written by people"
    polarities = Counter(a.polarity for e in examples for a in e.facts)
    assert all(polarities[p] >= 300 for p in ("like", "dislike", "avoid", "none"))
    assert sum(1 for e in examples if not e.facts) >= 20, "messages with no food at all"
    assert sum(1 for e in handwritten for a in e.facts if a.who) >= 100
    assert sum(1 for e in handwritten for a in e.facts if a.until) >= 50
    assert sum(1 for e in handwritten if len(e.facts) >= 3) >= 100
    for e in examples:
        for a in e.facts:
            assert e.text[a.start : a.end].casefold() == a.subject.casefold()


def test_the_generated_file_is_up_to_date_with_the_hand_written_ones() -> None:
    spec = importlib.util.spec_from_file_location(
        "generator", ROOT / "scripts" / "generate_fact_examples.py"
    )
    assert spec and spec.loader
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    text, _, _ = generator.build(generator.DEFAULT_CATALOGUE)
    assert text == generator.DEFAULT_OUT.read_text(encoding="utf-8"), (
        "bot/facts/generated/ is stale: run `make fact-examples`"
    )


def doc(*examples: dict) -> dict:
    return {"version": "1", "examples": list(examples)}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"text": "I love lamb", "facts": [{"subject": "beef", "polarity": "like"}]},
         "subject 'beef' is not in the text"),
        ({"text": "I love lamb", "facts": [{"subject": "lamb", "polarity": "adore"}]},
         "polarity 'adore' is not one of"),
        ({"text": "I love lamb", "facts": [{"subject": "lamb", "polarity": "like",
                                            "reason": "allergy"}]},
         "only goes with avoid"),
        ({"facts": []}, "needs a 'text'"),
        ({"text": "I love lamb", "facts": [{"polarity": "like"}]}, "has no subject"),
    ],
)  # fmt: skip
def test_a_mistake_says_where_and_what(entry: dict, message: str) -> None:
    with pytest.raises(CorpusError, match="mine.yml, example 2") as error:
        parse(doc({"text": "fine", "facts": []}, entry), "mine.yml")
    assert message in str(error.value)


def test_a_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yml"
    bad.write_text("examples: [\n  - text: 'oops", encoding="utf-8")
    with pytest.raises(CorpusError, match="broken.yml"):
        load([bad], folder=tmp_path)


def test_one_mention_may_carry_two_peoples_facts() -> None:
    (example,) = parse(
        yaml.safe_load(
            """
            examples:
              - text: "my husband loves oysters but I can't stand them"
                facts:
                  - {subject: oysters, polarity: like, who: husband}
                  - {subject: oysters, polarity: dislike, strength: 2}
            """
        ),
        "t.yml",
    )
    assert [(a.start, a.who) for a in example.facts] == [(17, "husband"), (17, None)]
