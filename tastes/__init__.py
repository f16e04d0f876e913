"""Understanding what a customer states about themselves: tastes, constraints, habits, name."""

from tastes.describe import describe
from tastes.facts import extract_facts
from tastes.forget import extract_forget_subjects
from tastes.habits import extract_habits
from tastes.household import describe_household, extract_household
from tastes.models import StatedFact, StatedHabit
from tastes.names import extract_name
from tastes.vocabulary import Vocabulary, display_case, proper_nouns

__all__ = [
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
