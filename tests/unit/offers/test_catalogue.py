"""Reading the catalogue: the demo file is sound and every fault is reported clearly."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from offers.catalogue import (
    ALLERGENS,
    CATEGORIES,
    Catalogue,
    CatalogueError,
    load_catalogue,
    parse_catalogue,
)
from tests.unit.offers.conftest import DEMO, MONDAY, SATURDAY


def product(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "sku": "BUT-001",
        "name": "Veal paupiettes",
        "category": "butcher",
        "tags": ["veal", "paupiettes"],
        "synonyms": ["paupiettes de veau"],
        "allergens": ["gluten", "egg"],
        "diets": [],
        "price": "6.90",
        "unit": "per piece",
        "description": "Rolled veal.",
    }
    row.update(overrides)
    return row


def offer(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": "OFF-001",
        "title": "Paupiettes week",
        "description": "Two for one and a half.",
        "products": ["BUT-001"],
        "category": None,
        "tag": None,
        "discount": "25% off",
        "valid_from": date(2026, 1, 1),
        "valid_to": date(2027, 12, 31),
        "weekend": False,
    }
    row.update(overrides)
    return row


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(data)
    return caught.value.problems


# --------------------------------------------------------------------- the demo catalogue


def test_demo_catalogue_is_large_and_covers_every_counter(demo: Catalogue) -> None:
    assert len(demo.products) >= 70
    assert len(demo.offers) >= 22
    assert {p.category for p in demo.products} == set(CATEGORIES)


def test_demo_offers_include_expired_future_and_weekend_ones(demo: Catalogue) -> None:
    assert sum(o.valid_to.year == 2025 for o in demo.offers) >= 3
    assert sum(o.weekend for o in demo.offers) >= 3
    running_monday = [o for o in demo.offers if o.is_available_on(MONDAY)]
    running_saturday = [o for o in demo.offers if o.is_available_on(SATURDAY)]
    assert len(running_monday) >= 15
    assert len(running_saturday) > len(running_monday)


def test_demo_offers_all_reach_existing_products(demo: Catalogue) -> None:
    for o in demo.offers:
        assert demo.products_of(o), o.id
        for sku in o.product_skus:
            assert demo.product(sku).sku == sku


def test_demo_has_the_products_the_story_needs(demo: Catalogue) -> None:
    names = {p.name for p in demo.products}
    assert {"Veal paupiettes", "Pork liver pâté", "Comté 18 months", "Beaufort d'été"} <= names
    assert {"Roquefort Papillon", "Walnut bread", "Pistachio saucisson"} <= names
    tags = {t for p in demo.products for t in p.tags}
    assert {"lamb", "mutton", "offal", "goat cheese", "natural wine", "champagne"} <= tags
    diets = {d for p in demo.products for d in p.diets}
    assert diets == {"vegetarian", "vegan", "pescatarian", "halal", "kosher", "gluten-free"}


def test_demo_allergens_are_honest(demo: Catalogue) -> None:
    nut_words = {"walnut", "walnuts", "hazelnut", "pistachio", "almond", "almonds", "cashew"}
    for p in demo.products:
        if p.category == "cheese" and "vegan cheese" not in p.tags:
            assert "milk" in p.allergens, p.sku
        if p.category == "wine":
            assert "sulphites" in p.allergens, p.sku
        if "bread" in p.tags and "gluten-free" not in p.diets:
            assert "gluten" in p.allergens, p.sku
        if nut_words & set(p.tags):
            assert "nuts" in p.allergens, p.sku
        if {"oysters", "mussels", "scallops", "snails"} & set(p.tags):
            assert "molluscs" in p.allergens, p.sku
        if "pork" in p.tags:
            assert "halal" not in p.diets and "kosher" not in p.diets, p.sku


def test_demo_paupiettes_parse_to_typed_values(demo: Catalogue) -> None:
    p = demo.product("BUT-001")
    assert p.price == Decimal("6.90")
    assert p.synonyms == ("paupiettes de veau", "veal birds", "veal paupiette")
    assert "gluten" in p.allergens
    first = demo.offer("OFF-001")
    assert first.valid_from == date(2026, 1, 1) and first.product_skus == ("BUT-001",)


def test_vegan_implies_vegetarian_and_pescatarian() -> None:
    cat = parse_catalogue(
        {"products": [product(allergens=[], diets=["vegan"], tags=["bread"], category="bakery")]}
    )
    assert cat.products[0].diets == ("vegetarian", "vegan", "pescatarian")


def test_unknown_sku_is_a_key_error(demo: Catalogue) -> None:
    with pytest.raises(KeyError):
        demo.product("NOPE-000")


def test_products_of_a_tag_offer_are_every_tagged_product(demo: Catalogue) -> None:
    offal = demo.offer("OFF-004")
    assert offal.tag == "offal" and not offal.product_skus
    found = {p.sku for p in demo.products_of(offal)}
    assert found == {p.sku for p in demo.products if "offal" in p.tags}
    assert "BUT-009" in found  # calf's liver


def test_products_of_a_category_offer_are_the_whole_counter(demo: Catalogue) -> None:
    basket = demo.offer("OFF-017")
    assert {p.sku for p in demo.products_of(basket)} == {
        p.sku for p in demo.products if p.category == "vegetables"
    }


def test_weekend_offer_runs_on_saturday_and_sunday_only(demo: Catalogue) -> None:
    champagne = demo.offer("OFF-009")
    assert champagne.weekend
    assert champagne.is_available_on(SATURDAY)
    assert champagne.is_available_on(date(2026, 11, 29))
    assert not champagne.is_available_on(MONDAY)
    assert not champagne.is_available_on(date(2026, 11, 27))  # Friday


def test_validity_dates_are_inclusive(demo: Catalogue) -> None:
    holidays = demo.offer("OFF-024")
    assert holidays.is_available_on(date(2026, 12, 1))
    assert holidays.is_available_on(date(2026, 12, 31))
    assert not holidays.is_available_on(date(2026, 11, 30))
    assert not holidays.is_available_on(date(2027, 1, 1))


# --------------------------------------------------------------------- validation


def test_bad_price_names_row_sku_and_field() -> None:
    data = {"products": [product(sku=f"BUT-{i:03}") for i in range(1, 13)]}
    data["products"].append(product(sku="BUT-013", price="abc"))
    assert problems_of(data) == [
        "products[12] (sku BUT-013): field 'price': 'abc' is not a decimal amount"
    ]


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-1.00", "'-1.00' is negative; a price must be 0 or more"),
        ("1.999", "'1.999' has more than 2 decimal places (amounts are in EUR)"),
        (None, "is required"),
        (True, "True is not a decimal amount"),
        ("NaN", "'NaN' is not a decimal amount"),
    ],
)
def test_price_must_be_a_non_negative_amount(price: object, message: str) -> None:
    assert problems_of({"products": [product(price=price)]}) == [
        f"products[0] (sku BUT-001): field 'price': {message}"
    ]


def test_free_and_integer_prices_are_accepted() -> None:
    cat = parse_catalogue({"products": [product(price=0), product(sku="B2", price="12")]})
    assert [p.price for p in cat.products] == [Decimal(0), Decimal(12)]


@pytest.mark.parametrize("field", ["sku", "name", "category", "price", "unit", "allergens"])
def test_required_product_fields(field: str) -> None:
    row = product()
    del row[field]
    [problem] = problems_of({"products": [row]})
    assert f"field '{field}': is required" in problem
    assert problem.startswith("products[0]")


def test_missing_allergens_is_not_silently_none() -> None:
    row = product()
    del row["allergens"]
    assert problems_of({"products": [row]}) == [
        "products[0] (sku BUT-001): field 'allergens': is required (write [] if there is none)"
    ]


def test_unknown_allergen_lists_the_allowed_ones_and_suggests() -> None:
    [problem] = problems_of({"products": [product(allergens=["nut"])]})
    assert problem.startswith(
        "products[0] (sku BUT-001): field 'allergens': 'nut' is not a known allergen "
        "(did you mean 'nuts'?); allowed: "
    )
    assert all(a in problem for a in ALLERGENS)


def test_unknown_diet_and_category_are_rejected() -> None:
    problems = problems_of({"products": [product(diets=["paleo"], category="bakers")]})
    assert len(problems) == 2
    assert any("field 'diets': 'paleo' is not a known diet" in p for p in problems)
    assert any(
        "field 'category': 'bakers' is not a known category (did you mean 'bakery'?)" in p
        for p in problems
    )


def test_contradictory_diet_claims_are_rejected() -> None:
    problems = problems_of(
        {
            "products": [
                product(sku="A", allergens=["milk"], diets=["vegan"], tags=[]),
                product(sku="B", allergens=["gluten"], diets=["gluten-free"], tags=[]),
                product(sku="C", allergens=[], diets=["halal"], tags=["pork"]),
            ]
        }
    )
    assert problems == [
        "products[0] (sku A): field 'diets': 'vegan' contradicts allergen 'milk'",
        "products[1] (sku B): field 'diets': 'gluten-free' contradicts allergen 'gluten'",
        "products[2] (sku C): field 'diets': 'halal' contradicts tag 'pork'",
    ]


def test_unknown_field_is_reported_to_catch_typos() -> None:
    [problem] = problems_of({"products": [product(alergens=["milk"])]})
    assert problem.startswith("products[0] (sku BUT-001): unknown field 'alergens'; allowed: ")


def test_list_fields_must_be_lists() -> None:
    assert problems_of({"products": [product(tags="veal")]}) == [
        "products[0] (sku BUT-001): field 'tags': 'veal' is not a list (write [a, b])"
    ]


def test_duplicate_skus_point_at_the_first_use() -> None:
    assert problems_of({"products": [product(), product(name="Other")]}) == [
        "products[1] (sku BUT-001): field 'sku': duplicate 'BUT-001', already used by "
        "products[0] (sku BUT-001)"
    ]


def test_duplicate_offer_ids() -> None:
    problems = problems_of({"products": [product()], "offers": [offer(), offer(title="Again")]})
    assert problems == [
        "offers[1] (id OFF-001): field 'id': duplicate 'OFF-001', already used by "
        "offers[0] (id OFF-001)"
    ]


def test_offer_dates_must_be_in_order() -> None:
    data = {
        "products": [product()],
        "offers": [offer(valid_from=date(2026, 5, 1), valid_to=date(2026, 4, 30))],
    }
    assert problems_of(data) == [
        "offers[0] (id OFF-001): field 'valid_to': 2026-04-30 is before valid_from 2026-05-01"
    ]


def test_offer_dates_must_be_dates() -> None:
    data = {"products": [product()], "offers": [offer(valid_from="next monday")]}
    assert problems_of(data) == [
        "offers[0] (id OFF-001): field 'valid_from': 'next monday' is not a date like 2026-01-31"
    ]


def test_offer_dates_may_be_iso_text() -> None:
    data = {"products": [product()], "offers": [offer(valid_from="2026-02-01")]}
    assert parse_catalogue(data).offers[0].valid_from == date(2026, 2, 1)


def test_offer_referencing_unknown_sku() -> None:
    data = {"products": [product()], "offers": [offer(products=["BUT-001", "BUT-999"])]}
    assert problems_of(data) == ["offers[0] (id OFF-001): field 'products': unknown sku 'BUT-999'"]


def test_offer_targeting_nothing_or_an_empty_tag() -> None:
    data = {
        "products": [product()],
        "offers": [
            offer(id="O1", products=[]),
            offer(id="O2", products=[], tag="lobster"),
            offer(id="O3", products=[], category="wine"),
        ],
    }
    assert problems_of(data) == [
        "offers[0] (id O1): field 'products': the offer targets nothing: list skus or set a "
        "category or tag",
        "offers[1] (id O2): field 'tag': no product has the tag 'lobster'",
        "offers[2] (id O3): field 'category': no product is in category 'wine'",
    ]


def test_weekend_must_be_a_flag() -> None:
    data = {"products": [product()], "offers": [offer(weekend="sometimes")]}
    assert problems_of(data) == [
        "offers[0] (id OFF-001): field 'weekend': 'sometimes' is not true or false"
    ]


def test_every_problem_is_collected_in_one_go() -> None:
    data = {
        "products": [product(price="x"), product(sku="B2", allergens=["nutz"])],
        "offers": [offer(products=["ZZZ"]), offer(id="O2", valid_to=None)],
    }
    problems = problems_of(data)
    assert len(problems) == 4
    assert [p.split(":")[0] for p in problems] == [
        "products[0] (sku BUT-001)",
        "products[1] (sku B2)",
        "offers[0] (id OFF-001)",
        "offers[1] (id O2)",
    ]


def test_error_message_lists_problems_one_per_line() -> None:
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue({"products": [product(price="x"), product(sku="B", unit=None)]})
    assert str(caught.value).splitlines() == [
        "2 problems in the catalogue:",
        "- products[0] (sku BUT-001): field 'price': 'x' is not a decimal amount",
        "- products[1] (sku B): field 'unit': is required",
    ]


def test_row_without_sku_is_still_located() -> None:
    row = product()
    del row["sku"]
    assert problems_of({"products": [product(sku="A"), row]}) == [
        "products[1]: field 'sku': is required"
    ]


def test_sections_are_checked() -> None:
    assert problems_of({"offers": [], "extras": 1}) == [
        "catalogue: unknown section 'extras'; allowed: products, offers",
        "catalogue: field 'products': is required (a list)",
    ]
    assert problems_of({"products": ["BUT-001"]}) == ["products[0]: is not a mapping of fields"]


# --------------------------------------------------------------------- files


def test_load_yaml_round_trips_the_demo(tmp_path: Path) -> None:
    copy_path = tmp_path / "shop.yaml"
    copy_path.write_text(DEMO.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_catalogue(copy_path) == load_catalogue(DEMO)


def test_load_csv_products(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text(
        "sku,name,category,tags,synonyms,allergens,diets,price,unit,description\n"
        "BAK-001,Walnut bread,bakery,bread|walnut,pain aux noix,gluten|nuts,vegan,5.20,"
        "per loaf,Walnut sourdough\n"
        "VEG-001,Celeriac,vegetables,celeriac,,celery,vegan|halal,3.50,per piece,\n",
        encoding="utf-8",
    )
    cat = load_catalogue(path)
    bread, celeriac = cat.products
    assert bread.tags == ("bread", "walnut") and bread.allergens == ("gluten", "nuts")
    assert bread.price == Decimal("5.20") and bread.synonyms == ("pain aux noix",)
    assert celeriac.synonyms == () and celeriac.diets == (
        "vegetarian",
        "vegan",
        "pescatarian",
        "halal",
    )
    assert cat.offers == ()


def test_load_csv_reports_rows(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text(
        "sku,name,category,tags,synonyms,allergens,diets,price,unit,description\n"
        "BAK-001,Walnut bread,bakery,bread,,gluten|walnut,,5.20,per loaf,\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert caught.value.problems[0].startswith(
        "products[0] (sku BAK-001): field 'allergens': 'walnut' is not a known allergen"
    )


def test_load_rejects_other_file_types_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="unsupported file type '.json'"):
        load_catalogue(tmp_path / "shop.json")
    broken = tmp_path / "broken.yml"
    broken.write_text("products: [\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(broken)


def test_catalogue_error_is_a_value_error() -> None:
    assert issubclass(CatalogueError, ValueError)


def test_tags_are_lower_cased_and_deduplicated_without_touching_the_input() -> None:
    row = product(tags=["Veal", "veal ", "Stuffed  meat"])
    before = copy.deepcopy(row)
    cat = parse_catalogue({"products": [row]})
    assert cat.products[0].tags == ("veal", "stuffed meat")
    assert row == before


def test_made_from_is_read_and_checked_against_diets() -> None:
    terrine = product(
        sku="CHA-002",
        name="Chicken liver terrine",
        category="charcuterie",
        tags=["terrine", "liver", "offal"],
        made_from=["Chicken"],
        allergens=[],
    )
    cat = parse_catalogue({"products": [terrine]})
    assert cat.products[0].made_from == ("chicken",)
    assert parse_catalogue({"products": [product()]}).products[0].made_from == ()
    bad = problems_of({"products": [{**terrine, "tags": ["terrine"], "diets": ["vegetarian"]}]})
    assert any("'vegetarian' contradicts made_from 'chicken'" in p for p in bad), bad


def test_for_diets_names_known_diets_only() -> None:
    cat = parse_catalogue({"products": [product()], "offers": [offer(for_diets=["Kosher"])]})
    assert cat.offers[0].for_diets == ("kosher",)
    assert parse_catalogue({"products": [product()], "offers": [offer()]}).offers[0].for_diets == ()
    bad = problems_of({"products": [product()], "offers": [offer(for_diets=["keto"])]})
    assert len(bad) == 1 and bad[0].startswith("offers[0] (id OFF-001): field 'for_diets': ")
    assert "'keto'" in bad[0] and "kosher" in bad[0]


def test_load_csv_offers_with_for_diets(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text(
        "sku,name,category,tags,synonyms,allergens,diets,price,unit,description\n"
        "BAK-006,Buckwheat loaf,bakery,bread,,,vegan|gluten-free,5.20,per loaf,\n",
        encoding="utf-8",
    )
    (tmp_path / "offers.csv").write_text(
        "id,title,description,products,category,tag,discount,valid_from,valid_to,weekend,"
        "for_diets\n"
        "O-1,Gluten-free bakery,,BAK-006,,,15% off,2026-01-01,2027-12-31,false,gluten-free\n",
        encoding="utf-8",
    )
    [offered] = load_catalogue(tmp_path).offers
    assert offered.for_diets == ("gluten-free",)
