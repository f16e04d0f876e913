from tastes import display_case, proper_nouns


def test_proper_nouns_are_the_words_capitalised_inside_sentences() -> None:
    proper = proper_nouns(
        [
            "Veal paupiettes",
            "A hard cheese from the Jura, like Comté.",
            "Comté 18 months",
            "Smoked veal sausage",
        ]
    )
    assert {"jura", "comté"} <= proper
    assert "veal" not in proper and "smoked" not in proper


def test_display_case_lowers_common_nouns_and_capitalises_proper_ones() -> None:
    proper = frozenset({"comté", "bayonne"})
    assert display_case("Veal paupiettes", proper) == "veal paupiettes"
    assert display_case("comté", proper) == "Comté"
    assert display_case("BAYONNE ham", proper) == "Bayonne ham"
