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
from offers.ranking import (
    Fact,
    Habit,
    OfferEvent,
    RankedOffer,
    RankingPolicy,
    assess_offer,
    product_terms,
    rank_offers,
    violates,
)
from offers.reasons import explain, narrowing_note

__all__ = [
    "ALLERGENS",
    "CATEGORIES",
    "DIETS",
    "Catalogue",
    "CatalogueError",
    "Fact",
    "Habit",
    "OfferEvent",
    "Offer",
    "Product",
    "RankedOffer",
    "RankingPolicy",
    "assess_offer",
    "explain",
    "load_catalogue",
    "narrowing_note",
    "parse_catalogue",
    "product_terms",
    "rank_offers",
    "violates",
]
