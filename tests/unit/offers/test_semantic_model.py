"""The real embedding model (all-MiniLM-L6-v2 from the installed package, never downloaded)."""

from __future__ import annotations

from pathlib import Path

from offers.catalogue import Catalogue
from offers.embeddings import model_loads, semantic_index
from offers.ranking import rank_offers, violates
from tests.unit.offers.conftest import SATURDAY, MakeFact


def test_the_real_model_finds_likes_by_meaning_once_per_process(
    demo: Catalogue, fact: MakeFact, tmp_path: Path
) -> None:
    index = semantic_index(demo, cache_dir=tmp_path)
    assert index.products.shape == (len(demo.products), 384)
    assert semantic_index(demo, cache_dir=tmp_path) is index
    facts = [fact("fungi"), fact("nuts", "avoid")]
    lexical = rank_offers(demo, facts, today=SATURDAY, limit=50)
    ranked = rank_offers(demo, facts, today=SATURDAY, semantic=index, limit=50)
    # Meaning finds what shares no word with the like ("fungi": the vegetable basket with its
    # girolles), and offers it as a discovery: there is no link to name.
    assert not any(r.score > 0 for r in lexical)
    assert ranked[0].offer.id == "OFF-017" and ranked[0].discovery and not ranked[0].because
    assert all(violates(p, facts) is None for r in ranked for p in r.products)
    assert model_loads() == 1
