"""The shop's catalogue: products and offers, parsed and validated from plain data."""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

# The 14 allergens EU law (Regulation 1169/2011, Annex II) requires a shop to declare.
ALLERGENS: tuple[str, ...] = (
    "gluten",
    "nuts",
    "peanuts",
    "milk",
    "egg",
    "fish",
    "shellfish",
    "soy",
    "sesame",
    "celery",
    "mustard",
    "sulphites",
    "lupin",
    "molluscs",
)
DIETS: tuple[str, ...] = ("vegetarian", "vegan", "pescatarian", "halal", "kosher", "gluten-free")
CATEGORIES: tuple[str, ...] = (
    "butcher",
    "charcuterie",
    "cheese",
    "wine",
    "fishmonger",
    "bakery",
    "grocery",
    "deli",
    "vegetables",
)

# A vegan product is also vegetarian, and a vegetarian one pescatarian: the parser adds these so
# that a catalogue author cannot forget them and hide a suitable product from a customer.
IMPLIED_DIETS: dict[str, tuple[str, ...]] = {
    "vegan": ("vegetarian", "pescatarian"),
    "vegetarian": ("pescatarian",),
}
# Claims that cannot be true together; caught at import rather than discovered by a customer.
_DIET_FORBIDS_ALLERGENS: dict[str, frozenset[str]] = {
    "vegan": frozenset({"milk", "egg", "fish", "shellfish", "molluscs"}),
    "vegetarian": frozenset({"fish", "shellfish", "molluscs"}),
    "gluten-free": frozenset({"gluten"}),
    "kosher": frozenset({"shellfish", "molluscs"}),
}
_MEAT_TAGS = frozenset(
    {"beef", "veal", "pork", "lamb", "mutton", "chicken", "duck", "poultry", "game", "offal"}
)
_DIET_FORBIDS_TAGS: dict[str, frozenset[str]] = {
    "vegan": _MEAT_TAGS,
    "vegetarian": _MEAT_TAGS,
    "pescatarian": _MEAT_TAGS,
    "halal": frozenset({"pork", "alcohol"}),
    "kosher": frozenset({"pork"}),
}

_PRODUCT_FIELDS = (
    "sku",
    "name",
    "category",
    "tags",
    "synonyms",
    "allergens",
    "diets",
    "price",
    "unit",
    "description",
    "made_from",
)
_PRODUCT_LIST_FIELDS = ("tags", "synonyms", "allergens", "diets", "made_from")
_OFFER_FIELDS = (
    "id",
    "title",
    "description",
    "products",
    "category",
    "tag",
    "discount",
    "valid_from",
    "valid_to",
    "weekend",
    "for_diets",
)
_SATURDAY = 5


@dataclass(frozen=True)
class Product:
    """One thing the shop sells."""

    sku: str
    name: str
    category: str
    tags: tuple[str, ...]
    synonyms: tuple[str, ...]
    allergens: tuple[str, ...]
    diets: tuple[str, ...]
    price: Decimal
    unit: str
    description: str
    # What it is made from without being it: the calf of a calf's liver, the chicken of a
    # chicken liver terrine. It forbids (an avoid of chicken excludes the terrine) but is not
    # a reason to offer it ("I love chicken" is not a love of chicken livers).
    made_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class Offer:
    """A promotion on listed products and/or every product of a category or tag."""

    id: str
    title: str
    description: str
    product_skus: tuple[str, ...]
    category: str | None
    tag: str | None
    discount: str
    valid_from: date
    valid_to: date
    weekend: bool
    # Made for the customers who keep these diets (a kosher Shabbat table, a gluten-free
    # bakery): suggested to them only, never as a general suggestion to anyone else.
    for_diets: tuple[str, ...] = ()

    def is_available_on(self, day: date) -> bool:
        """True if the offer runs on `day` (inclusive dates; weekend offers on Sat/Sun only)."""
        if not self.valid_from <= day <= self.valid_to:
            return False
        return not self.weekend or day.weekday() >= _SATURDAY


@dataclass(frozen=True)
class Catalogue:
    """All products and offers of the shop."""

    products: tuple[Product, ...]
    offers: tuple[Offer, ...]

    @cached_property
    def _by_sku(self) -> dict[str, Product]:
        return {p.sku: p for p in self.products}

    @cached_property
    def _by_offer_id(self) -> dict[str, Offer]:
        return {o.id: o for o in self.offers}

    def product(self, sku: str) -> Product:
        """The product with this sku; KeyError if there is none."""
        return self._by_sku[sku]

    def offer(self, offer_id: str) -> Offer:
        """The offer with this id; KeyError if there is none."""
        return self._by_offer_id[offer_id]

    def products_of(self, offer: Offer) -> list[Product]:
        """Products an offer applies to: its skus, then its category and tag, without repeats."""
        chosen: dict[str, Product] = {sku: self._by_sku[sku] for sku in offer.product_skus}
        for p in self.products:
            if p.sku in chosen:
                continue
            if (offer.category is not None and p.category == offer.category) or (
                offer.tag is not None and offer.tag in p.tags
            ):
                chosen[p.sku] = p
        return list(chosen.values())


class CatalogueError(ValueError):
    """A catalogue that cannot be used; `problems` lists every fault found, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        count = len(self.problems)
        heading = f"{count} problem{'s' if count != 1 else ''} in the catalogue:"
        super().__init__("\n- ".join([heading, *self.problems]))


class _Problems:
    """Collects problems so that one run reports all of them, not just the first."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, field: str | None, message: str) -> None:
        prefix = f"{where}: field '{field}'" if field else where
        self.items.append(f"{prefix}: {message}")


def _allowed(value: str, allowed: Sequence[str], kind: str) -> str:
    close = difflib.get_close_matches(value, allowed, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{value!r} is not a known {kind}{hint}; allowed: {', '.join(allowed)}"


class _Row:
    """One product or offer mapping being read, with the label its problems carry."""

    def __init__(
        self, data: Mapping[str, Any], where: str, problems: _Problems, fields: Sequence[str]
    ) -> None:
        self.data = data
        self.where = where
        self.problems = problems
        self.ok = True
        for key in data:
            if key not in fields:
                self.fail(None, f"unknown field {key!r}; allowed: {', '.join(fields)}")

    def fail(self, field: str | None, message: str) -> None:
        self.ok = False
        self.problems.add(self.where, field, message)

    def text(self, field: str, *, required: bool = True, default: str = "") -> str:
        value = self.data.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, "is required")
            return default
        if not isinstance(value, str):
            self.fail(field, f"{value!r} is not text")
            return default
        return value.strip()

    def optional_text(self, field: str) -> str | None:
        value = self.data.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            self.fail(field, f"{value!r} is not text")
            return None
        return value.strip()

    def text_list(self, field: str, *, required: bool = False, lower: bool = False) -> list[str]:
        if field not in self.data:
            if required:
                self.fail(field, "is required (write [] if there is none)")
            return []
        value = self.data[field]
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            self.fail(field, f"{value!r} is not a list (write [a, b])")
            return []
        items: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                self.fail(field, f"{item!r} is not a non-empty text")
                continue
            cleaned = " ".join(item.split())
            items.append(cleaned.lower() if lower else cleaned)
        return list(dict.fromkeys(items))

    def vocabulary(self, field: str, allowed: Sequence[str], kind: str, **kw: bool) -> list[str]:
        known = []
        for item in self.text_list(field, lower=True, **kw):
            if item in allowed:
                known.append(item)
            else:
                self.fail(field, _allowed(item, allowed, kind))
        return known

    def price(self, field: str) -> Decimal:
        value = self.data.get(field)
        if value is None or value == "":
            self.fail(field, "is required")
            return Decimal(0)
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            self.fail(field, f"{value!r} is not a decimal amount")
            return Decimal(0)
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(field, f"{value!r} is not a decimal amount")
            return Decimal(0)
        if not amount.is_finite():
            self.fail(field, f"{value!r} is not a decimal amount")
        elif amount < 0:
            self.fail(field, f"{value!r} is negative; a price must be 0 or more")
        elif amount.as_tuple().exponent < -2:  # type: ignore[operator]
            self.fail(field, f"{value!r} has more than 2 decimal places (amounts are in EUR)")
        return amount

    def day(self, field: str) -> date | None:
        value = self.data.get(field)
        if value is None or value == "":
            self.fail(field, "is required (a date like 2026-01-31)")
            return None
        if isinstance(value, datetime):
            self.fail(field, f"'{value}' has a time; write a date like 2026-01-31")
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(field, f"{value!r} is not a date like 2026-01-31")
        return None

    def flag(self, field: str) -> bool:
        value = self.data.get(field, False)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", ""):
            return value.strip().lower() in ("true", "yes")
        self.fail(field, f"{value!r} is not true or false")
        return False


def _label(kind: str, index: int, key: str, data: object) -> str:
    ident = data.get(key) if isinstance(data, Mapping) else None
    return f"{kind}[{index}] ({key} {ident})" if isinstance(ident, str) else f"{kind}[{index}]"


def _parse_product(row: _Row) -> Product | None:
    category = row.text("category")
    if category and category.lower() not in CATEGORIES:
        row.fail("category", _allowed(category, CATEGORIES, "category"))
    tags = row.text_list("tags", lower=True)
    made_from = row.text_list("made_from", lower=True)
    allergens = row.vocabulary("allergens", ALLERGENS, "allergen", required=True)
    diets = row.vocabulary("diets", DIETS, "diet")
    for diet in list(diets):
        diets.extend(d for d in IMPLIED_DIETS.get(diet, ()) if d not in diets)
    for diet in diets:
        for allergen in sorted(_DIET_FORBIDS_ALLERGENS.get(diet, frozenset()) & set(allergens)):
            row.fail("diets", f"'{diet}' contradicts allergen '{allergen}'")
        for tag in sorted(_DIET_FORBIDS_TAGS.get(diet, frozenset()) & set(tags)):
            row.fail("diets", f"'{diet}' contradicts tag '{tag}'")
        for source in sorted(_DIET_FORBIDS_TAGS.get(diet, frozenset()) & set(made_from)):
            row.fail("diets", f"'{diet}' contradicts made_from '{source}'")
    product = Product(
        sku=row.text("sku"),
        name=row.text("name"),
        category=category.lower(),
        tags=tuple(tags),
        synonyms=tuple(row.text_list("synonyms")),
        allergens=tuple(a for a in ALLERGENS if a in allergens),
        diets=tuple(d for d in DIETS if d in diets),
        price=row.price("price"),
        unit=row.text("unit"),
        description=row.text("description", required=False),
        made_from=tuple(made_from),
    )
    return product if row.ok else None


def _parse_offer(row: _Row) -> Offer | None:
    category = row.optional_text("category")
    if category is not None:
        category = category.lower()
        if category not in CATEGORIES:
            row.fail("category", _allowed(category, CATEGORIES, "category"))
    tag = row.optional_text("tag")
    valid_from, valid_to = row.day("valid_from"), row.day("valid_to")
    if valid_from and valid_to and valid_from > valid_to:
        row.fail("valid_to", f"{valid_to} is before valid_from {valid_from}")
    made_for = row.vocabulary("for_diets", DIETS, "diet")
    skus = row.text_list("products")
    if not skus and category is None and tag is None:
        row.fail("products", "the offer targets nothing: list skus or set a category or tag")
    offer = Offer(
        id=row.text("id"),
        title=row.text("title"),
        description=row.text("description", required=False),
        product_skus=tuple(skus),
        category=category,
        tag=tag.lower() if tag else None,
        discount=row.text("discount"),
        valid_from=valid_from or date.min,
        valid_to=valid_to or date.min,
        weekend=row.flag("weekend"),
        for_diets=tuple(d for d in DIETS if d in made_for),
    )
    return offer if row.ok else None


def _rows(
    data: Mapping[str, Any], key: str, problems: _Problems, *, required: bool
) -> list[tuple[int, Any]]:
    value = data.get(key)
    if value is None:
        if required:
            problems.add("catalogue", key, "is required (a list)")
        return []
    if not isinstance(value, list):
        problems.add("catalogue", key, "is not a list")
        return []
    return list(enumerate(value))


def _unique(
    items: list[tuple[str, Any]], key: Callable[[Any], str], field: str, problems: _Problems
) -> None:
    first: dict[str, str] = {}
    for where, item in items:
        ident = key(item)
        if ident in first:
            problems.add(where, field, f"duplicate {ident!r}, already used by {first[ident]}")
        else:
            first[ident] = where


def parse_catalogue(data: Mapping[str, Any]) -> Catalogue:
    """Validate plain data (as read from YAML) into a Catalogue; CatalogueError lists all faults."""
    problems = _Problems()
    if not isinstance(data, Mapping):
        raise CatalogueError(["catalogue: expected a mapping with 'products' and 'offers'"])
    for key in data:
        if key not in ("products", "offers"):
            problems.add("catalogue", None, f"unknown section {key!r}; allowed: products, offers")

    products: list[tuple[str, Product]] = []
    for i, raw in _rows(data, "products", problems, required=True):
        where = _label("products", i, "sku", raw)
        if not isinstance(raw, Mapping):
            problems.add(where, None, "is not a mapping of fields")
        elif (product := _parse_product(_Row(raw, where, problems, _PRODUCT_FIELDS))) is not None:
            products.append((where, product))
    _unique(products, lambda p: p.sku, "sku", problems)

    # Only offers on products that parsed are checked for sku targets, so a bad product is
    # reported once, at its own row, not again at every offer that lists it.
    skus = {p.sku for _, p in products}
    tags = {t for _, p in products for t in p.tags}
    categories = {p.category for _, p in products}
    offers: list[tuple[str, Offer]] = []
    for i, raw in _rows(data, "offers", problems, required=False):
        where = _label("offers", i, "id", raw)
        if not isinstance(raw, Mapping):
            problems.add(where, None, "is not a mapping of fields")
            continue
        row = _Row(raw, where, problems, _OFFER_FIELDS)
        offer = _parse_offer(row)
        if offer is None:
            continue
        for sku in offer.product_skus:
            if sku not in skus:
                row.fail("products", f"unknown sku {sku!r}")
        if offer.category is not None and offer.category not in categories:
            row.fail("category", f"no product is in category {offer.category!r}")
        if offer.tag is not None and offer.tag not in tags:
            row.fail("tag", f"no product has the tag {offer.tag!r}")
        if row.ok:
            offers.append((where, offer))
    _unique(offers, lambda o: o.id, "id", problems)

    if problems.items:
        raise CatalogueError(problems.items)
    return Catalogue(products=tuple(p for _, p in products), offers=tuple(o for _, o in offers))


_OFFER_LIST_FIELDS = ("products", "for_diets")
_SECTION_FILES = ("products", "offers")
_SUFFIXES = (".yml", ".yaml", ".csv")


def _read_csv(path: Path, section: str) -> dict[str, Any]:
    """Rows of a products or offers CSV as the YAML would hold them; list cells split on '|'."""
    list_fields = _PRODUCT_LIST_FIELDS if section == "products" else _OFFER_LIST_FIELDS
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        rows: list[dict[str, Any]] = []
        for record in reader:
            row: dict[str, Any] = {}
            for key, cell in record.items():
                if key is None:  # a row longer than the header
                    row["(extra columns)"] = cell
                    continue
                key = key.strip()
                text = (cell or "").strip() if isinstance(cell, str) else ""
                if key in list_fields:
                    row[key] = [part.strip() for part in text.split("|") if part.strip()]
                else:
                    row[key] = text
            rows.append(row)
    return {section: rows}


def _csv_section(path: Path) -> str:
    """Which section a CSV holds, from its header: offers have an 'id', products a 'sku'."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        header = [h.strip() for h in next(csv.reader(f), [])]
    if "sku" in header:
        return "products"
    if "id" in header:
        return "offers"
    raise CatalogueError([f"{path}: the header has neither 'sku' (products) nor 'id' (offers)"])


def _read_file(path: Path, section: str | None = None) -> dict[str, Any]:
    suffix = path.suffix.lower()
    if suffix in (".yml", ".yaml"):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise CatalogueError([f"{path}: not valid YAML: {e}"]) from e
        if data is None:
            return {}
        if section is not None and isinstance(data, list):
            return {section: data}  # offers.yml may be a bare list of offers
        if not isinstance(data, dict):
            raise CatalogueError([f"{path}: expected a mapping with 'products' and 'offers'"])
        return data
    if suffix == ".csv":
        return _read_csv(path, section or _csv_section(path))
    raise CatalogueError([f"{path}: unsupported file type {suffix!r}; use .yml, .yaml or .csv"])


def _in_folder(folder: Path, name: str) -> Path | None:
    found = [folder / f"{name}{s}" for s in _SUFFIXES if (folder / f"{name}{s}").is_file()]
    if len(found) > 1:
        raise CatalogueError([f"{folder}: both {found[0].name} and {found[1].name}; keep one"])
    return found[0] if found else None


# Where the rows of a merged section came from: (section, first index, count, file).
_Origin = tuple[str, int, int, Path]
_ROW = re.compile(r"^(products|offers)\[(\d+)\]")


def _merge(
    into: dict[str, Any], data: Mapping[str, Any], path: Path, origins: list[_Origin]
) -> None:
    for key, value in data.items():
        if key in _SECTION_FILES and isinstance(value, list):
            existing = into.setdefault(key, [])
            if isinstance(existing, list):
                origins.append((key, len(existing), len(value), path))
                existing.extend(value)
                continue
        if key in into:
            raise CatalogueError([f"{path}: section {key!r} is given twice"])
        into[key] = value


def _locate(problem: str, origins: list[_Origin]) -> str:
    """Prefix a problem with its file (and CSV line) when rows of several files were merged."""
    m = _ROW.match(problem)
    if m is None:
        return problem
    section, index = m.group(1), int(m.group(2))
    for kind, first, count, path in origins:
        if kind == section and first <= index < first + count:
            line = f" line {index - first + 2}" if path.suffix.lower() == ".csv" else ""
            return f"{path.name}{line}: {problem}"
    return problem


def load_catalogue(path: str | Path, *, offers: str | Path | None = None) -> Catalogue:
    """Read and validate a catalogue: one file, or a folder, plus optionally an offers file.

    `path` is a .yml/.yaml file (products and offers), a products .csv, or a folder holding
    products.{yml,yaml,csv} and optionally offers.{yml,yaml,csv}. `offers` adds the offers of
    another file (YAML, or CSV with skus separated by '|'). Every problem is reported at once,
    each naming its row and field; CSV row n (from 0) is line n + 2 of the file.
    """
    path = Path(path)
    data: dict[str, Any] = {}
    origins: list[_Origin] = []
    if path.is_dir():
        products_file = _in_folder(path, "products")
        if products_file is None:
            raise CatalogueError([f"{path}: no products.yml, products.yaml or products.csv"])
        _merge(data, _read_file(products_file, "products"), products_file, origins)
        if (offers_file := _in_folder(path, "offers")) is not None:
            _merge(data, _read_file(offers_file, "offers"), offers_file, origins)
    else:
        if path.suffix.lower() not in _SUFFIXES:
            raise CatalogueError(
                [f"{path}: unsupported file type {path.suffix.lower()!r}; use .yml, .yaml or .csv"]
            )
        _merge(data, _read_file(path), path, origins)
    if offers is not None:
        offers = Path(offers)
        if not offers.exists():
            raise FileNotFoundError(2, "No such file", str(offers))
        _merge(data, _read_file(offers, "offers"), offers, origins)
    if len(origins) < 2:
        return parse_catalogue(data)  # one file: rows are numbered as in it
    try:
        return parse_catalogue(data)
    except CatalogueError as e:
        raise CatalogueError([_locate(p, origins) for p in e.problems]) from None
