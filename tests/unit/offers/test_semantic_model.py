"""The real embedding model (all-MiniLM-L6-v2 from the installed package, never downloaded)."""

from __future__ import annotations

from pathlib import Path

from offers.catalogue import Catalogue
from offers.embeddings import model_loads, semantic_index
from offers.ranking import rank_offers, violates
from tests.unit.offers.conftest import MONDAY, MakeFact


def test_the_real_model_finds_likes_by_meaning_once_per_process(
    demo: Catalogue, fact: MakeFact, tmp_path: Path
) -> None:
    index = semantic_index(demo, cache_dir=tmp_path)
    assert index.products.shape == (len(demo.products), 384)
    assert semantic_index(demo, cache_dir=tmp_path) is index
    facts = [fact("seafood"), fact("nuts", "avoid")]
    lexical = rank_offers(demo, facts, today=MONDAY, limit=50)
    ranked = rank_offers(demo, facts, today=MONDAY, semantic=index, limit=50)
    assert ranked[0].because and ranked[0].products[0].category == "fishmonger"
    # Meaning adds matches that share no word with the like (e.g. scallops, prawns).
    assert sum(bool(r.because) for r in ranked) > sum(bool(r.because) for r in lexical)
    assert all(violates(p, facts) is None for r in ranked for p in r.products)
    assert model_loads() == 1
