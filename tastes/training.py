"""Training the fact reader from bot/facts/ (`make train-facts`), with a report a designer can read.

all-MiniLM-L6-v2 is fine-tuned on the corpus with five small heads at once: a food tagger on
every token (so foods no catalogue lists are found), and, for each food, its polarity, strength,
reason (avoids) and whether it is about a household member. A tenth of the hand-written sentence
shapes (with their generated variants) is kept out of training: the report's figures and the
reader's thresholds come from it, so they are measured on wordings the model never saw.
The model is exported to ONNX (models/facts/model.onnx) for the action server.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tastes.corpus import Example
from tastes.encoder import MAX_TOKENS, readable, tokenizer
from tastes.features import FLAGS, WINDOW, flags, sentence_of
from tastes.language import DEFAULT_LANGUAGE
from tastes.members import member_mentions
from tastes.reader import POLARITY_CLASSES, REASON_CLASSES, Thresholds
from tastes.spelling import write_lexicon
from tastes.subjects import find_subjects
from tastes.vocabulary import Vocabulary

Progress = Callable[[str], None]
TARGET_PRECISION = 0.98
AVOID_STORE_AT_MOST = 0.85
DEV_SHARE = 0.1
STEPS = 700  # a budget, not epochs: training time stays the same as the corpus grows
BATCH = 16
FROZEN_LAYERS = 2  # the lowest layers keep their pretrained weights: faster, and no worse
SEED = 13
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)


@dataclass
class Mention:
    rows: list[int]
    window: list[int]
    sentence: list[int]
    flags: list[float]
    polarity: int
    strong: int  # -1: not a like or dislike
    reason: int  # -1: not an avoid
    member: int  # -1: no fact
    danger: int  # its sentence states an allergy, intolerance or health reason
    said: str


@dataclass
class Item:
    ids: list[int]
    tags: list[int]  # 0 outside a food, 1 its first token, 2 the rest
    mentions: list[Mention]
    group: int
    handwritten: bool
    text: str


def shape(example: Example) -> str:
    """The sentence with its foods blanked: a generated variant and its original share it."""
    text, out, pos = example.text, [], 0
    for a in sorted(example.facts, key=lambda a: a.start):
        if a.start >= pos:
            out.append(text[pos : a.start] + "_")
            pos = a.end
    out.append(text[pos:])
    return " ".join("".join(out).casefold().split())


def _rows(offsets: list[tuple[int, int]], start: int, end: int) -> list[int]:
    return [i for i, (s, e) in enumerate(offsets) if e > s and s < end and e > start]


def prepare(examples: list[Example], vocabulary: Vocabulary, folder: Path, code: str) -> list[Item]:
    tok = tokenizer(folder)
    groups: dict[str, int] = {}
    items = []
    for example in examples:
        spelt, where = readable(example.text)
        enc = tok.encode(spelt)
        offsets = [(where[s], where[e - 1] + 1) if e > s else (0, 0) for s, e in enc.offsets]
        last = len(offsets) - 1
        tags = [0] * len(offsets)
        spans: list[tuple[int, int, Any]] = []
        for a in example.facts:
            if any((s, e) == (a.start, a.end) for s, e, _ in spans):
                continue  # two facts on one mention: the first one teaches
            spans.append((a.start, a.end, a))
        annotated = [(s, e) for s, e, _ in spans]
        for s in find_subjects(example.text, vocabulary, []):
            if not any(s.start < e and b < s.end for b, e in annotated):
                spans.append((s.start, s.end, None))  # the shop's word, nothing stated
        members = member_mentions(example.text, code)
        medical = [
            sentence_of(example.text, a.start, a.end)
            for a in example.facts
            if a.polarity == "avoid" and a.reason in MEDICAL
        ]
        mentions = []
        for start, end, a in spans:
            rows = _rows(offsets, start, end)
            if not rows or rows[-1] >= last:
                continue  # cut off by the token limit
            if a is not None:
                tags[rows[0]] = 1
                for r in rows[1:]:
                    tags[r] = 2
            window = list(range(max(1, rows[0] - WINDOW), min(last, rows[-1] + WINDOW + 1)))
            sentence = sentence_of(example.text, start, end)
            named = any(sentence[0] <= m.start < sentence[1] for m in members)
            sentence_rows = _rows(offsets, *sentence) or list(range(1, last))
            known = a is None or vocabulary.lookup(a.subject) is not None
            polarity = a.polarity if a else "none"
            mentions.append(
                Mention(
                    rows=rows,
                    window=window,
                    sentence=[r for r in sentence_rows if 0 < r < last],
                    flags=flags(example.text, start, end, known=known, member_named=named).tolist(),
                    polarity=POLARITY_CLASSES.index(polarity),
                    strong=(int(a.strength >= 2) if a and polarity in ("like", "dislike") else -1),
                    reason=(
                        REASON_CLASSES.index(a.reason or "unsaid")
                        if a and polarity == "avoid"
                        else -1
                    ),
                    member=(int(a.who is not None) if a and polarity != "none" else -1),
                    danger=int(sentence in medical),
                    said=example.text[start:end],
                )
            )
        items.append(
            Item(
                ids=list(enc.ids),
                tags=tags,
                mentions=mentions,
                group=groups.setdefault(shape(example), len(groups)),
                handwritten=not example.generated,
                text=example.text,
            )
        )
    return items


def split(items: list[Item]) -> tuple[list[Item], list[Item]]:
    """Dev: a tenth of the hand-written shapes, and nothing generated from them, kept out."""
    shapes = sorted({i.group for i in items if i.handwritten})
    dev_groups = set(random.Random(SEED).sample(shapes, max(1, int(len(shapes) * DEV_SHARE))))
    train = [i for i in items if i.group not in dev_groups]
    dev = [i for i in items if i.group in dev_groups and i.handwritten]
    return train, dev


def _network(source: Path) -> Any:
    import torch
    from transformers import AutoModel

    class ReaderNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            # No dropout: on the CPU it costs a sixth of each step, and a few epochs with
            # weight decay do not overfit this corpus (the kept-out figures say so).
            self.encoder = AutoModel.from_pretrained(
                str(source),
                attn_implementation="eager",
                hidden_dropout_prob=0.0,
                attention_probs_dropout_prob=0.0,
            )
            width = self.width = self.encoder.config.hidden_size
            # The food's own and nearby tokens decide what is said of it (its sentence would
            # mix in what is said of the others); the sentence says whether a medical reason is.
            features = 2 * width + FLAGS
            self.food = torch.nn.Linear(width, 3)
            self.polarity = torch.nn.Linear(features, len(POLARITY_CLASSES))
            self.strength = torch.nn.Linear(features, 2)
            self.reason = torch.nn.Linear(features, len(REASON_CLASSES))
            self.member = torch.nn.Linear(features, 2)
            self.danger = torch.nn.Linear(width + FLAGS, 2)

        def forward(self, input_ids: Any, attention_mask: Any) -> tuple[Any, Any]:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask
            ).last_hidden_state
            return hidden, self.food(hidden)

    return ReaderNet()


HEADS = ("polarity", "strength", "reason", "member", "danger")
MEDICAL = frozenset({"allergy", "intolerance", "health"})


def _pooled(hidden: Any, batch: list[Item]) -> tuple[Any, list[Mention]]:
    """Each mention's features: the mean of its tokens, of its window, and its flags.

    Built as two averaging matrices over the batch's tokens, so one product gives them all.
    """
    import torch

    mentions = [(b, m) for b, item in enumerate(batch) for m in item.mentions]
    if not mentions:
        return None, []
    width = hidden.shape[1]
    own = torch.zeros((len(mentions), len(batch) * width), dtype=hidden.dtype)
    around = torch.zeros_like(own)
    sentence = torch.zeros_like(own)
    for i, (b, m) in enumerate(mentions):
        own[i, [b * width + r for r in m.rows]] = 1.0 / len(m.rows)
        around[i, [b * width + r for r in m.window]] = 1.0 / len(m.window)
        sentence[i, [b * width + r for r in m.sentence]] = 1.0 / len(m.sentence)
    flat = hidden.reshape(len(batch) * width, -1)
    flags = torch.tensor([m.flags for _, m in mentions], dtype=hidden.dtype)
    pooled = torch.cat([own @ flat, around @ flat, sentence @ flat, flags], dim=1)
    return pooled, [m for _, m in mentions]


def head_input(pooled: Any, head: str, width: int) -> Any:
    """What each head reads of the pooled features [own, around, sentence, flags]."""
    import torch

    if head == "danger":
        return pooled[:, 2 * width :]
    return torch.cat([pooled[:, : 2 * width], pooled[:, 3 * width :]], dim=1)


def _batches(items: list[Item], rng: random.Random) -> list[list[Item]]:
    """Batches of similar length (less padding), in random order."""
    order = sorted(items, key=lambda i: len(i.ids) + rng.random() * 6)
    batches = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
    rng.shuffle(batches)
    return batches


def _tensors(batch: list[Item]) -> tuple[Any, Any, Any]:
    import torch

    width = max(len(i.ids) for i in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    tags = torch.full((len(batch), width), -100, dtype=torch.long)
    for b, item in enumerate(batch):
        n = len(item.ids)
        ids[b, :n] = torch.tensor(item.ids)
        mask[b, :n] = 1
        tags[b, 1 : n - 1] = torch.tensor(item.tags[1 : n - 1])
    return ids, mask, tags


def fit(net: Any, train: list[Item], progress: Progress) -> None:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    frozen = [net.encoder.embeddings, *net.encoder.encoder.layer[:FROZEN_LAYERS]]
    for module in frozen:
        for parameter in module.parameters():
            parameter.requires_grad_(False)
    heads = [p for n, p in net.named_parameters() if not n.startswith("encoder.")]
    tuned = [p for p in net.encoder.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": tuned, "lr": 8e-5}, {"params": heads, "lr": 2e-3}],
        weight_decay=0.01,
        foreach=True,
    )
    steps = STEPS
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps)
    )
    net.train()
    step, started, total, epoch = 0, time.monotonic(), 0.0, 0
    while step < steps:
        epoch += 1
        for batch in _batches(train, rng)[: steps - step]:
            ids, mask, tags = _tensors(batch)
            hidden, food = net(ids, mask)
            loss = F.cross_entropy(food.reshape(-1, 3), tags.reshape(-1), ignore_index=-100)
            pooled, mentions = _pooled(hidden, batch)
            if pooled is not None:
                for head in HEADS:
                    target = torch.tensor([_label(m, head) for m in mentions])
                    if (target >= 0).any():
                        logits = getattr(net, head)(head_input(pooled, head, net.width))
                        weight = 1.0 if head == "polarity" else 0.5
                        loss = loss + weight * F.cross_entropy(logits, target, ignore_index=-1)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            total += float(loss.detach())
            step += 1
            if step % 25 == 0:
                progress(
                    f"  step {step}/{steps} (epoch {epoch}): loss {total / 25:.3f}"
                    f" ({time.monotonic() - started:.0f} s)"
                )
                total = 0.0


def _label(m: Mention, head: str) -> int:
    return {
        "polarity": m.polarity,
        "strength": m.strong,
        "reason": m.reason,
        "member": m.member,
        "danger": m.danger,
    }[head]


def predict(net: Any, items: list[Item]) -> tuple[dict[str, np.ndarray], list[Mention], dict]:
    """Logits of every head for every mention, and the tagger's span precision and recall."""
    import torch

    net.eval()
    logits: dict[str, list[np.ndarray]] = {h: [] for h in HEADS}
    mentions: list[Mention] = []
    found = right = expected = 0
    with torch.inference_mode():
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            ids, mask, tags = _tensors(batch)
            hidden, food = net(ids, mask)
            predicted = food.argmax(dim=-1)
            for b, item in enumerate(batch):
                n = len(item.ids)
                gold = set(_spans(item.tags[1 : n - 1]))
                got = set(_spans(predicted[b, 1 : n - 1].tolist()))
                found, right, expected = (
                    found + len(got),
                    right + len(got & gold),
                    expected + len(gold),
                )
            pooled, ms = _pooled(hidden, batch)
            if pooled is None:
                continue
            mentions.extend(ms)
            for head in HEADS:
                logits[head].append(getattr(net, head)(head_input(pooled, head, net.width)).numpy())
    tagger = {
        "precision": round(right / found, 3) if found else 0.0,
        "recall": round(right / expected, 3) if expected else 0.0,
    }
    return {h: np.vstack(v) for h, v in logits.items()}, mentions, tagger


def _spans(tags: list[int]) -> list[tuple[int, int]]:
    """Token spans from B/I tags (an I after O starts a span too)."""
    out, start = [], None
    for i, tag in enumerate([*tags, 0]):
        if start is not None and tag != 2:
            out.append((start, i))
            start = None
        if tag == 1 or (tag == 2 and start is None):
            start = i
    return out


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The softmax temperature that makes kept-out probabilities honest (least log-loss)."""
    best, best_nll = 1.0, math.inf
    for t in np.arange(0.5, 4.01, 0.1):
        p = softmax(logits, float(t))[np.arange(len(labels)), labels]
        nll = float(-np.log(np.clip(p, 1e-9, 1)).mean())
        if nll < best_nll:
            best, best_nll = float(round(t, 2)), nll
    return best


def choose_thresholds(proba: np.ndarray, labels: np.ndarray) -> tuple[Thresholds, dict[str, Any]]:
    """`store`: the lowest probability where stored facts are right TARGET_PRECISION of the time."""
    none = POLARITY_CLASSES.index("none")
    avoid = POLARITY_CLASSES.index("avoid")
    stated = proba.copy()
    stated[:, none] = -1
    best = stated.argmax(axis=1)
    confidence = proba[np.arange(len(best)), best]
    right = best == labels

    def lowest_precise(kept: np.ndarray) -> float:
        for candidate in np.arange(0.5, 0.96, 0.01):
            chosen = kept & (confidence >= candidate)
            if chosen.sum() >= 10 and right[chosen].mean() >= TARGET_PRECISION:
                return float(round(candidate, 2))
        return 0.95

    everything = lowest_precise(np.ones_like(right))
    # Each answer is as sure as its own record: an allergy read at 0.85 may be right as often
    # as a like read at 0.95.
    by_polarity = {
        POLARITY_CLASSES[c]: max(lowest_precise(best == c), 0.7)
        for c in range(len(POLARITY_CLASSES))
        if c != none and (best == c).sum() >= 20
    }
    if "avoid" in by_polarity:
        # The safe side: an avoid stored wrongly costs an offer the customer can get back in one
        # sentence; an avoid left waiting for a yes may cost their health.
        by_polarity["avoid"] = min(by_polarity["avoid"], AVOID_STORE_AT_MOST)
    thresholds = Thresholds(
        store=everything, confirm=0.5, avoid_safety=0.2, store_by_polarity=by_polarity
    )
    store_at = np.asarray([thresholds.store_for(POLARITY_CLASSES[b]) for b in best])
    stored = confidence >= store_at
    confirmed = (confidence >= thresholds.confirm) & ~stored
    facts = labels != none
    decisions = {
        "mentions": len(labels),
        "stored": int(stored.sum()),
        "stored_right": round(float(right[stored].mean()), 3) if stored.any() else None,
        "confirmed": int(confirmed.sum()),
        "confirmed_right": round(float(right[confirmed].mean()), 3) if confirmed.any() else None,
        "facts_stored": round(float((stored & right & facts).sum() / max(facts.sum(), 1)), 3),
        "facts_stored_or_confirmed": round(
            float(((stored | confirmed) & right & facts).sum() / max(facts.sum(), 1)), 3
        ),
        "avoids": int((labels == avoid).sum()),
        "avoids_missed": int(
            ((labels == avoid) & (proba[:, avoid] < thresholds.avoid_safety)).sum()
        ),
    }
    return thresholds, decisions


def report_of(
    logits: dict[str, np.ndarray], mentions: list[Mention], temperatures: dict[str, float]
) -> dict[str, Any]:
    from sklearn.metrics import classification_report, confusion_matrix

    names = {"polarity": POLARITY_CLASSES, "strength": ("mild", "strong"),
             "reason": REASON_CLASSES, "member": ("customer", "household member"),
             "danger": ("no medical reason said", "medical reason said")}  # fmt: skip
    out: dict[str, Any] = {}
    for head in HEADS:
        labels = np.asarray([_label(m, head) for m in mentions])
        keep = labels >= 0
        if not keep.any():
            continue
        predicted = logits[head][keep].argmax(axis=1)
        classes = list(range(len(names[head])))
        out[head] = {
            "mentions": int(keep.sum()),
            "temperature": temperatures[head],
            "per_class": classification_report(
                labels[keep],
                predicted,
                labels=classes,
                target_names=list(names[head]),
                output_dict=True,
                zero_division=0,
            ),  # fmt: skip
            "confusion": {
                "labels": list(names[head]),
                "matrix": confusion_matrix(labels[keep], predicted, labels=classes).tolist(),
            },
        }
    return out


def _mistakes(proba: np.ndarray, mentions: list[Mention], items: list[Item]) -> list[str]:
    """The surest mistakes on dev, to read first when improving the corpus."""
    texts = [item.text for item in items for _ in item.mentions]
    labels = np.asarray([m.polarity for m in mentions])
    predicted = proba.argmax(axis=1)
    wrong = [(proba[i, predicted[i]], i) for i in range(len(labels)) if predicted[i] != labels[i]]
    return [
        f"{texts[i]!r} [{mentions[i].said}]: said {POLARITY_CLASSES[labels[i]]}, "
        f"read {POLARITY_CLASSES[predicted[i]]} ({p:.2f})"
        for p, i in sorted(wrong, reverse=True)[:60]
    ]


def export(net: Any, out: Path, temperatures: dict[str, float], source: Path) -> None:
    import shutil

    import torch

    class Exported(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> tuple[Any, Any]:
            hidden, food = self.inner(input_ids, attention_mask)
            return hidden, food

    net.eval()
    sample = (torch.tensor([[101, 1045, 2293, 12845, 102]]), torch.ones((1, 5), dtype=torch.long))
    batch, tokens = torch.export.Dim("batch"), torch.export.Dim("tokens", max=MAX_TOKENS + 2)
    out.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        Exported(net).eval(),
        sample,
        str(out / "model.onnx"),
        input_names=["input_ids", "attention_mask"],
        output_names=["hidden", "food"],
        dynamic_shapes={
            "input_ids": {0: batch, 1: tokens},
            "attention_mask": {0: batch, 1: tokens},
        },
        dynamo=True,
        external_data=False,
        verbose=False,
    )
    weights = {}
    for head in HEADS:
        layer = getattr(net, head)
        weights[f"{head}_w"] = layer.weight.detach().numpy().T.copy()
        weights[f"{head}_b"] = layer.bias.detach().numpy().copy()
    np.savez(out / "heads.npz", **weights)
    for name in TOKENIZER_FILES:
        shutil.copy(source / name, out / name)


def train(
    examples: list[Example],
    vocabulary: Vocabulary,
    source: Path,
    out: Path,
    *,
    code: str = DEFAULT_LANGUAGE,
    progress: Progress = print,
) -> dict[str, Any]:
    import torch

    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    started = time.monotonic()
    counts = Counter(a.polarity for e in examples for a in e.facts)
    progress(
        f"fact reader: {len(examples)} examples, "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    items = prepare(examples, vocabulary, source, code)
    train_items, dev = split(items)
    progress(f"  {len(train_items)} examples to learn from, {len(dev)} kept out to measure")
    net = _network(source)
    fit(net, train_items, progress)
    logits, mentions, tagger = predict(net, dev)
    temperatures = {
        head: temperature(logits[head][keep], labels[keep])
        for head in HEADS
        if (keep := (labels := np.asarray([_label(m, head) for m in mentions])) >= 0).any()
    }
    proba = softmax(logits["polarity"], temperatures["polarity"])
    polarity = np.asarray([m.polarity for m in mentions])
    thresholds, decisions = choose_thresholds(proba, polarity)
    report: dict[str, Any] = {
        "examples": len(examples),
        "learned_from": len(train_items),
        "kept_out": len(dev),
        "tagger": tagger,
        **report_of(logits, mentions, temperatures),
        "thresholds": asdict(thresholds),
        "decisions": decisions,
        "mistakes": _mistakes(proba, mentions, dev),
    }
    export(net, out, temperatures, source)
    # The usual spellings of foods, to put a misspelt one back on its word (tastes.spelling).
    report["lexicon_words"] = write_lexicon(
        (a.subject for e in examples if not e.generated for a in e.facts), out
    )
    meta = {
        "language": code,
        "thresholds": asdict(thresholds),
        "temperatures": temperatures,
        "polarity_classes": list(POLARITY_CLASSES),
        "reason_classes": list(REASON_CLASSES),
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    report["seconds"] = round(time.monotonic() - started)
    (out / "report.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return report
