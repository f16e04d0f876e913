"""Catalogue import and offer ranking: pure logic, no database, no network."""

from offers.catalogue import (
    ALLERGENS,
    CATEGORIES,
    DIETS,
    Catalogue,
    CatalogueError,
    Offer,
    Product,
    load_catalogue,
    parse_catalogue,
)
from offers.ranking import Fact, RankedOffer, explain, product_terms, rank_offers, violates

__all__ = [
    "ALLERGENS",
    "CATEGORIES",
    "DIETS",
    "Catalogue",
    "CatalogueError",
    "Fact",
    "Offer",
    "Product",
    "RankedOffer",
    "explain",
    "load_catalogue",
    "parse_catalogue",
    "product_terms",
    "rank_offers",
    "violates",
]
