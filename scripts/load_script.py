"""The realistic conversation of the load figures (../shared/bench/load.py's script): a name,
tastes, an allergy, a habit, offers, why, something else, the review, goodbye. One list for
every benchmark that sends it (bench_speedups, bench_soak, the Locust scenarios)."""

REALISTIC = (
    "hi, I'm Sam",
    "I love veal paupiettes",
    "I can't stand liver pâté",
    "I'm allergic to nuts",
    "I usually come on Saturday mornings",
    "any offers for me?",
    "why this one?",
    "something else",
    "what do you know about me?",
    "thanks, bye",
)
