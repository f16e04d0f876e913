"""Variations of the hand-written examples with other foods (`make fact-examples`).

    .venv/bin/python scripts/generate_fact_examples.py [catalogue.yml] [out.yml]

Each hand-written example (bot/facts/handwritten_*.yml) is rewritten twice with its foods
swapped for others: the catalogue's products, tags and synonyms, and foods a shop may not sell.
The shape of the sentence and what it states stay; what changes teaches the reader that the
words around a food decide what is said of it, not the food. Diet names are never swapped (the
word itself is the statement). Deterministic: the same inputs write the same file.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from offers.catalogue import load_catalogue  # noqa: E402
from tastes.corpus import Annotation, Example, dump, load  # noqa: E402
from tastes.vocabulary import DIET_NAMES  # noqa: E402

VARIANTS = 1
DEFAULT_CATALOGUE = ROOT / "catalogue" / "demo.yml"
DEFAULT_OUT = ROOT / "bot" / "facts" / "generated" / "variants.yml"
SEED = 20261130
# Foods customers mention that a gourmet shop may not list: the tagger must find them too.
OTHER_FOODS = [
    "rhubarb kimchi tofu okra durian aubergine courgette beetroot kale quinoa lentils",
    "chickpeas hummus falafel sushi ramen pho tempeh seitan jackfruit mango papaya passion fruit",
    "lychee pomegranate figs dates apricots plums cherries blueberries raspberries gooseberries",
    "blackcurrants parsnips turnips swede celeriac fennel artichokes asparagus leeks spinach",
    "broccoli cauliflower brussels sprouts sweetcorn peas broad beans runner beans radishes",
    "watercress rocket chard samphire seaweed miso wasabi ginger chilli coriander basil mint",
    "tarragon dill rosemary thyme sage paprika cumin cinnamon nutmeg vanilla liquorice marzipan",
    "custard trifle crumble pavlova cheesecake tiramisu meringue scones crumpets bagels pretzels",
    "sourdough rye bread pita naan tortillas polenta couscous risotto gnocchi lasagne ravioli",
    "pesto tapenade anchovies sardines mackerel herring kippers cod haddock hake tuna swordfish",
    "monkfish sea bass trout eel octopus squid calamari clams cockles whelks caviar taramasalata",
    "black pudding haggis pork pie scotch eggs faggots brawn tongue oxtail ox cheek pheasant",
    "partridge grouse quail pigeon goose guinea fowl wild boar kangaroo ostrich chorizo nduja",
    "pancetta prosciutto bresaola mortadella pastrami corned beef salt beef biltong jerky",
    "halloumi feta paneer ricotta mascarpone burrata mozzarella stilton wensleydale cheddar gouda",
    "edam manchego pecorino parmesan gorgonzola taleggio camembert halloumi cottage cheese",
    "yoghurt kefir buttermilk clotted cream ghee lard dripping tahini peanut butter nutella",
    "marmite jam marmalade honey maple syrup golden syrup treacle molasses agave stevia",
    "espresso matcha chai rooibos kombucha cider perry mead sake soju tequila mezcal rum gin",
    "vodka whisky bourbon brandy cognac armagnac calvados port sherry madeira vermouth prosecco",
    "cava champagne rosé riesling malbec rioja chianti shiraz merlot pinot grigio lager stout ale",
    "IPA root beer ginger beer lemonade cola energy drinks oat milk almond milk soy milk",
    "popcorn crisps pork scratchings olives gherkins capers sauerkraut pickled onions piccalilli",
    "mustard horseradish mayonnaise ketchup brown sauce sriracha harissa tabasco",
]


def _food_words(catalogue_path: Path) -> list[str]:
    catalogue = load_catalogue(catalogue_path)
    words: set[str] = set()
    for p in catalogue.products:
        words.add(p.name.lower())
        words.update(t.lower() for t in p.tags)
        words.update(s.lower() for s in p.synonyms)
    others = " ".join(OTHER_FOODS).split()
    # Two-word names above are written with a space: keep the known pairs together.
    pairs = {"passion fruit", "brussels sprouts", "broad beans", "runner beans", "black pudding",
             "pork pie", "scotch eggs", "ox cheek", "guinea fowl", "wild boar", "corned beef",
             "salt beef", "cottage cheese", "clotted cream", "peanut butter", "maple syrup",
             "golden syrup", "root beer", "ginger beer", "energy drinks", "oat milk",
             "almond milk", "soy milk", "pork scratchings", "pickled onions", "brown sauce",
             "sea bass", "rye bread", "pinot grigio"}  # fmt: skip
    words.update(pairs)
    paired = {w for pair in pairs for w in pair.split()}
    words.update(w for w in others if w not in paired or w in {"ginger", "cream"})
    return sorted(w for w in words if w and w not in DIET_NAMES and len(w) <= 40)


def _cased(original: str, food: str) -> str:
    if original.isupper() and len(original) > 1:
        return food.upper()
    if original[:1].isupper():
        return food[:1].upper() + food[1:]
    return food


def variant(example: Example, foods: list[str], rng: random.Random) -> Example | None:
    swappable = [a for a in example.facts if a.subject.casefold() not in DIET_NAMES]
    if not swappable:
        return None
    text, shift, annotations = example.text, 0, []
    swapped: dict[tuple[int, int], tuple[str, int, int]] = {}
    for a in sorted(example.facts, key=lambda a: a.start):
        if (a.start, a.end) in swapped:  # a second fact on the same words
            food, start, end = swapped[(a.start, a.end)]
            annotations.append(Annotation(**{**a.__dict__, "subject": food,
                                              "start": start, "end": end}))  # fmt: skip
            continue
        start, end = a.start + shift, a.end + shift
        if a in swappable:
            food = _cased(a.subject, rng.choice(foods))
            text = text[:start] + food + text[end:]
            shift += len(food) - (end - start)
        else:
            food = text[start:end]
        swapped[(a.start, a.end)] = (food, start, start + len(food))
        annotations.append(Annotation(**{**a.__dict__, "subject": food,
                                          "start": start, "end": start + len(food)}))  # fmt: skip
    return Example(text, tuple(annotations), "generated/variants.yml", example.language)


HEADER = (
    "# Generated by scripts/generate_fact_examples.py from bot/facts/handwritten_*.yml: do not"
    " edit;\n# edit the hand-written files and run `make fact-examples`.\n"
)


def build(catalogue: Path) -> tuple[str, int, int]:
    """The generated file's text, and how many variants of how many hand-written examples."""
    handwritten = [e for e in load() if not e.generated]
    foods = _food_words(catalogue)
    rng = random.Random(SEED)
    generated = [
        v for e in handwritten for _ in range(VARIANTS)
        if (v := variant(e, foods, rng)) is not None
    ]  # fmt: skip
    return HEADER + dump(generated), len(generated), len(handwritten)


def main() -> int:
    catalogue = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CATALOGUE
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_OUT
    text, generated, handwritten = build(catalogue)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"{generated} variants of {handwritten} hand-written examples -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
