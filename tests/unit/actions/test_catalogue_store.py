"""The catalogue the actions read from the profile store is the one imported, field for field."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.actions.context import _load_catalogue
from offers.catalogue import load_catalogue
from rapport.settings import ROOT


def test_the_imported_catalogue_reads_back_whole(shop: sessionmaker[Session]) -> None:
    imported = load_catalogue(ROOT / "catalogue" / "demo.yml")
    with shop() as s:
        stored = _load_catalogue(s)
    assert sorted(stored.products, key=lambda p: p.sku) == sorted(
        imported.products, key=lambda p: p.sku
    )
    assert sorted(stored.offers, key=lambda o: o.id) == sorted(imported.offers, key=lambda o: o.id)
    assert any(o.for_diets == ("kosher",) for o in stored.offers)
