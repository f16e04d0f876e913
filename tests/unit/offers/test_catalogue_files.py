"""Products and offers from CSV and YAML files and folders; re-import changes nothing."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from offers.catalogue import CatalogueError, load_catalogue
from profile_store.repository import upsert_catalogue

PRODUCTS_CSV = (
    "sku,name,category,tags,synonyms,allergens,diets,price,unit,description\n"
    "BAK-001,Walnut bread,bakery,bread|walnut,pain aux noix,gluten|nuts,vegan,5.20,per loaf,\n"
    "CHE-001,Comté 18 months,cheese,comté|hard cheese,,milk,,4.10,per 100 g,Fruity.\n"
)
OFFERS_CSV = (
    "id,title,description,products,category,tag,discount,valid_from,valid_to,weekend\n"
    "OFF-1,Alpine board,Comté and bread,CHE-001|BAK-001,,,10% off,2026-01-01,2026-12-31,\n"
    "OFF-2,Cheese week,,,cheese,,15% off,2026-01-01,2026-12-31,yes\n"
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_offers_csv_with_products_csv(tmp_path: Path) -> None:
    cat = load_catalogue(
        write(tmp_path, "products.csv", PRODUCTS_CSV),
        offers=write(tmp_path, "offers.csv", OFFERS_CSV),
    )
    board, week = cat.offers
    assert board.product_skus == ("CHE-001", "BAK-001") and board.category is None
    assert board.valid_to == date(2026, 12, 31) and not board.weekend
    assert week.category == "cheese" and week.weekend and week.product_skus == ()


def test_a_folder_holds_products_and_offers(tmp_path: Path) -> None:
    write(tmp_path, "products.csv", PRODUCTS_CSV)
    write(
        tmp_path,
        "offers.yml",
        "- {id: OFF-9, title: T, products: [CHE-001], discount: x,"
        " valid_from: 2026-01-01, valid_to: 2026-02-01}\n",
    )
    cat = load_catalogue(tmp_path)
    assert [o.id for o in cat.offers] == ["OFF-9"] and len(cat.products) == 2


def test_a_folder_without_products_or_with_two_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no products"):
        load_catalogue(tmp_path)
    write(tmp_path, "products.csv", PRODUCTS_CSV)
    write(tmp_path, "products.yml", "products: []\n")
    with pytest.raises(CatalogueError, match="keep one"):
        load_catalogue(tmp_path)


def test_offer_csv_errors_name_row_and_field(tmp_path: Path) -> None:
    bad = OFFERS_CSV.replace("CHE-001|BAK-001", "CHE-001|NOPE").replace(
        "2026-12-31,yes", "31/12,yes"
    )
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(write(tmp_path, "p.csv", PRODUCTS_CSV), offers=write(tmp_path, "o.csv", bad))
    assert caught.value.problems == [
        "o.csv line 2: offers[0] (id OFF-1): field 'products': unknown sku 'NOPE'",
        "o.csv line 3: offers[1] (id OFF-2): field 'valid_to': '31/12' is not a date like "
        "2026-01-31",
    ]


def test_an_offers_file_adds_to_a_yaml_catalogue_and_duplicates_are_caught(tmp_path: Path) -> None:
    yml = write(tmp_path, "shop.yml", "products: []\n")
    with pytest.raises(CatalogueError, match="unknown sku 'CHE-001'"):
        load_catalogue(yml, offers=write(tmp_path, "o.csv", OFFERS_CSV))
    offers = write(tmp_path, "o2.csv", OFFERS_CSV + OFFERS_CSV.splitlines()[1] + "\n")
    with pytest.raises(CatalogueError, match="duplicate 'OFF-1'"):
        load_catalogue(write(tmp_path, "products.csv", PRODUCTS_CSV), offers=offers)
    with pytest.raises(FileNotFoundError):
        load_catalogue(yml, offers=tmp_path / "missing.csv")


def test_a_csv_needs_a_known_header(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="neither 'sku'"):
        load_catalogue(write(tmp_path, "x.csv", "name,price\nA,1\n"))


def test_reimport_is_idempotent(tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    cat = load_catalogue(
        write(tmp_path, "products.csv", PRODUCTS_CSV),
        offers=write(tmp_path, "offers.csv", OFFERS_CSV),
    )

    def upsert() -> dict[str, int]:
        with sessions.begin() as s:
            return upsert_catalogue(
                s, (asdict(p) for p in cat.products), (asdict(o) for o in cat.offers)
            )

    assert upsert()["offers_created"] == 2
    again = upsert()
    assert again["products_unchanged"] == 2 and again["offers_unchanged"] == 2
    assert again["products_created"] == again["offers_updated"] == 0
