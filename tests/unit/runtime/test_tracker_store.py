"""The tracker store that keeps conversations between turns (rasa_runtime.tracker_store) hands
back only what the database still holds: another replica's events, an erasure, a failed turn
and a new session all read from the database as Rasa's own store would."""

from __future__ import annotations

from pathlib import Path

from tests.unit.runtime.conftest import needs_rasa, run_with_rasa


@needs_rasa
def test_the_kept_tracker_is_handed_back_only_while_the_database_agrees(tmp_path: Path) -> None:
    found = run_with_rasa("tracker_store_check.py", str(tmp_path / "tracker.db"))
    assert found == {
        "same object after a save": True,
        "hits": 1,
        "unsaved change reloaded": True,
        "other replica's event seen": True,
        "slot kept": True,
        "erased conversation gone": True,
        "new session read back alone": True,
        "rows stored once": 4,  # "al": 2 events, then 2 more; nothing twice
    }
