"""Understanding what a customer states about themselves: tastes, constraints, habits, name.

The names below load on first use (PEP 562), so `import tastes.names` stays standard-library
only: the Rasa process (Python 3.10, no spaCy) imports it for its name extractor.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tastes.describe import describe
    from tastes.forget import extract_forget_subjects
    from tastes.habits import extract_habits
    from tastes.household import describe_household, extract_household
    from tastes.models import StatedFact, StatedHabit
    from tastes.names import extract_name
    from tastes.reader import asked_for, extract_facts
    from tastes.vocabulary import Vocabulary, display_case, proper_nouns

_HOMES = {
    "asked_for": "tastes.reader",
    "describe": "tastes.describe",
    "extract_facts": "tastes.reader",
    "extract_forget_subjects": "tastes.forget",
    "extract_habits": "tastes.habits",
    "describe_household": "tastes.household",
    "extract_household": "tastes.household",
    "StatedFact": "tastes.models",
    "StatedHabit": "tastes.models",
    "extract_name": "tastes.names",
    "Vocabulary": "tastes.vocabulary",
    "display_case": "tastes.vocabulary",
    "proper_nouns": "tastes.vocabulary",
}

__all__ = [
    "asked_for",
    "display_case",
    "proper_nouns",
    "StatedFact",
    "StatedHabit",
    "Vocabulary",
    "describe",
    "describe_household",
    "extract_facts",
    "extract_forget_subjects",
    "extract_habits",
    "extract_household",
    "extract_name",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'tastes' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
