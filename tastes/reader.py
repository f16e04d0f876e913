"""Reading what a customer states about their tastes, from any message: the learned fact reader.

For each food the message names (tastes.subjects), heads trained on bot/facts/ decide what
is said about it (like, dislike, avoid or nothing), how strongly, why it is avoided, and whether
it is about the customer or someone in their household; a time phrase bounds it. Each decision
comes with a probability: above `store` the fact is written, between `confirm` and `store` the
bot asks first, below it nothing is written, except that anything that may be an avoid is never
dropped silently (it is confirmed) and a like is never written where an avoid may have been said.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np

from tastes.encoder import EncoderMissing, shared_encoder
from tastes.features import FLAGS, Piece, encode_message, mention_features, sentence_of
from tastes.language import DEFAULT_LANGUAGE, language
from tastes.members import Mention, member_mentions, nearest_member
from tastes.models import StatedFact
from tastes.spelling import Speller
from tastes.subjects import Subject, find_subjects
from tastes.text import clean_input
from tastes.timing import until
from tastes.vocabulary import DIET_NAMES, DIET_WORDS, Vocabulary

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "models" / "facts"
POLARITY_CLASSES = ("like", "dislike", "avoid", "none")
REASON_CLASSES = ("allergy", "intolerance", "diet", "religion", "health", "unsaid")
MAX_FACTS = 40


@dataclass(frozen=True)
class Thresholds:
    store: float = 0.8  # for an answer without a threshold of its own
    confirm: float = 0.5
    avoid_safety: float = 0.2  # an avoid this likely is never dropped silently
    store_by_polarity: dict[str, float] = field(default_factory=dict)

    def store_for(self, polarity: str) -> float:
        return self.store_by_polarity.get(polarity, self.store)


@dataclass(frozen=True)
class Reading:
    """The model's view of one food in context: a probability for each answer."""

    subject: Subject
    polarity: dict[str, float]
    strong: float
    reason: dict[str, float]
    member: float
    danger: float  # its sentence states an allergy, an intolerance or a health reason


def _softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def tagged_spans(pieces: list[Piece]) -> list[tuple[int, int]]:
    """Character spans the food tagger marks (B then I tokens)."""
    out: list[tuple[int, int]] = []
    for piece in pieces:
        tags = piece.encoded.food.argmax(axis=1).tolist()
        offsets = piece.encoded.offsets
        start: int | None = None
        end = 0
        for i in range(1, len(tags) - 1):
            tag = tags[i]
            if start is not None and tag != 2:
                out.append((start, end))
                start = None
            if tag == 1 or (tag == 2 and start is None):
                start = offsets[i][0]
            if start is not None:
                end = offsets[i][1]
        if start is not None:
            out.append((start, end))
    return out


class FactReader:
    """The trained reader of models/facts/ (`make train-facts`)."""

    def __init__(self, folder: Path = DEFAULT_DIR) -> None:
        if not (folder / "meta.json").is_file():
            raise EncoderMissing(f"no trained fact reader in {folder}: run `make train-facts`")
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        self.language = str(meta.get("language") or DEFAULT_LANGUAGE)
        self.thresholds = Thresholds(**meta.get("thresholds", {}))
        self._temperatures: dict[str, float] = meta.get("temperatures", {})
        self._polarity_classes = tuple(meta.get("polarity_classes", POLARITY_CLASSES))
        self._reason_classes = tuple(meta.get("reason_classes", REASON_CLASSES))
        with np.load(folder / "heads.npz") as heads:
            self._heads = {k: np.asarray(heads[k]) for k in heads.files}
        self._encoder = shared_encoder(folder)
        self._speller = Speller.load(folder)

    def _head(self, name: str, x: np.ndarray) -> np.ndarray:
        """One head on the features it reads: [own, around, flags], or [sentence, flags]."""
        width = (x.shape[1] - FLAGS) // 3
        if name == "danger":
            x = x[:, 2 * width :]
        else:
            x = np.concatenate([x[:, : 2 * width], x[:, 3 * width :]], axis=1)
        logits = x @ self._heads[f"{name}_w"] + self._heads[f"{name}_b"]
        return _softmax(logits, float(self._temperatures.get(name, 1.0)))

    def readings(
        self, text: str, vocabulary: Vocabulary, mentions: list[Mention] | None = None
    ) -> list[Reading]:
        pieces = encode_message(self._encoder.encode, text)
        subjects = find_subjects(text, vocabulary, tagged_spans(pieces), self._speller)
        subjects = subjects[:MAX_FACTS]
        if not subjects:
            return []
        if mentions is None:
            mentions = member_mentions(text, self.language)
        rows = []
        for s in subjects:
            sentence = sentence_of(text, s.start, s.end)
            named = any(sentence[0] <= m.start < sentence[1] for m in mentions)
            rows.append(
                mention_features(pieces, text, s.start, s.end, known=s.known, member_named=named)
            )
        x = np.vstack(rows)
        polarity, strong = self._head("polarity", x), self._head("strength", x)[:, 1]
        reason, member = self._head("reason", x), self._head("member", x)[:, 1]
        danger = (
            self._head("danger", x)[:, 1] if "danger_w" in self._heads else np.zeros(len(subjects))
        )
        return [
            Reading(
                subject=s,
                polarity={c: float(polarity[i][j]) for j, c in enumerate(self._polarity_classes)},
                strong=float(strong[i]),
                reason={c: float(reason[i][j]) for j, c in enumerate(self._reason_classes)},
                member=float(member[i]),
                danger=float(danger[i]),
            )
            for i, s in enumerate(subjects)
        ]

    def read(
        self, text: str, vocabulary: Vocabulary, today: date | None = None
    ) -> list[StatedFact]:
        """The facts a message states, each marked confident (store) or not (confirm first)."""
        text = clean_input(text)
        if not text.strip():
            return []
        mentions = member_mentions(text, self.language)
        readings = self._diets_stated(text, self.readings(text, vocabulary, mentions))
        # A sentence that states a medical reason and names an avoid has explained it; one that
        # names none ("I love prawns but they make my lips swell") makes its foods suspect.
        avoided = [
            (sentence_of(text, r.subject.start, r.subject.end), r)
            for r in readings
            if r.polarity.get("avoid", 0.0) >= 0.5
        ]
        facts: dict[tuple[str, str | None], StatedFact] = {}
        for reading in readings:
            sentence = sentence_of(text, reading.subject.start, reading.subject.end)
            # "I love veal paupiettes but I'm allergic to walnuts": the walnuts carry the
            # sentence's medical reason; the paupiettes are asked about only if they may
            # themselves be avoided.
            in_sentence = [r for s, r in avoided if s == sentence]
            elsewhere = any(r is not reading for r in in_sentence)
            suspect = reading.danger >= 0.5 and not in_sentence
            fact = self._decide(reading, text, mentions, today or date.today(), suspect, elsewhere)
            if fact is None:
                continue
            key = (fact.subject.casefold(), fact.member)
            kept = facts.get(key)
            if kept is None or _outranks(fact, kept):
                facts[key] = fact
        return list(facts.values())

    def asked_for(self, text: str, vocabulary: Vocabulary) -> list[str]:
        """The foods a message asks for now, without stating a taste for them: in a question or
        after a word that asks (the language's `asking_for`: "any deals on blue cheese?", "want
        some charcuterie type stuff", "planning a cheese & wine night"), read as no taste and
        with no sign of a dislike or avoid. Nothing to remember; what to offer this time."""
        text = clean_input(text)
        if not text.strip():
            return []
        readings = self._diets_stated(text, self.readings(text, vocabulary))
        asking = language(self.language).asking
        asked: dict[str, str] = {}
        for r in readings:
            if r.subject.name.casefold() in DIET_WORDS:
                continue
            s_start, s_end = sentence_of(text, r.subject.start, r.subject.end)
            question = "?" in text[s_start : s_end + 1]
            if not question and not asking.search(text[s_start : r.subject.start]):
                continue  # "I'm sorting the cheese myself": named, not asked for
            p = r.polarity
            against = p.get("avoid", 0.0) + p.get("dislike", 0.0)
            # "no cheese for me thanks" read as nothing stated is still not a request for it.
            if max(p, key=lambda k: p[k]) == "none" and against < self.thresholds.avoid_safety:
                asked.setdefault(r.subject.name.casefold(), r.subject.name)
        return list(asked.values())

    def _diets_stated(self, text: str, readings: list[Reading]) -> list[Reading]:
        """A diet named as one's own ("vegan here", "I'm veggie + into wine", "coeliac btw") is
        an avoid, exactly: stored when it stands alone, asked about when it only qualifies a
        food ("I buy halal lamb"). A question, a negation or someone else's diet before it in
        its sentence leaves it to the model (never as a like or a dislike); a negation, to
        nothing."""
        words = language(self.language)
        starts = {r.subject.start for r in readings}
        out = []
        for r in readings:
            if r.subject.name.casefold() not in DIET_WORDS:
                out.append(r)
                continue
            s_start, _ = sentence_of(text, r.subject.start, r.subject.end)
            before = text[s_start : r.subject.start].replace("’", "'")
            if words.diet_negated.search(before):
                p = {k: 0.0 for k in r.polarity} | {"none": 1.0}
            elif words.not_a_diet_stated.search(before):
                p = {k: (v if k in ("avoid", "none") else 0.0) for k, v in r.polarity.items()}
                p["none"] = 1.0 - p.get("avoid", 0.0)
            else:
                gap = len(text[r.subject.end :]) - len(text[r.subject.end :].lstrip(" "))
                qualifies = gap > 0 and r.subject.end + gap in starts
                sure = 1.0 if not qualifies else self.thresholds.confirm
                p = {k: 0.0 for k in r.polarity} | {"avoid": sure, "none": 1.0 - sure}
            out.append(replace(r, polarity=p))
        return out

    def _decide(
        self,
        reading: Reading,
        text: str,
        mentions: list[Mention],
        today: date,
        suspect: bool,
        explained_elsewhere: bool = False,
    ) -> StatedFact | None:
        t = self.thresholds
        p = reading.polarity
        p_avoid = p.get("avoid", 0.0)
        safety = t.confirm if explained_elsewhere else t.avoid_safety
        stated_polarities = {k: v for k, v in p.items() if k != "none"}
        polarity = max(stated_polarities, key=lambda k: stated_polarities[k])
        confidence = p[polarity]
        if (
            polarity == "like"
            and (p_avoid >= safety or suspect)
            or (p.get("none", 0.0) > confidence and (p_avoid >= safety or suspect))
        ):
            # Safety first: what may be an avoid is asked about, never stored as a like nor
            # dropped. (A likely dislike stays one: it keeps the food out of offers too.)
            danger = 0.0 if explained_elsewhere else reading.danger
            polarity, confidence, sure = "avoid", max(p_avoid, danger), False
        elif confidence >= t.store_for(polarity) and confidence >= p.get("none", 0.0):
            sure = True
        elif confidence >= t.confirm or (polarity == "avoid" and confidence >= safety):
            sure = False
        else:
            return None
        subject = reading.subject
        name, category = subject.name, subject.category
        reason: str | None = None
        diet = DIET_NAMES.get(name.casefold())
        if polarity == "avoid":
            best = max(reading.reason, key=lambda k: reading.reason[k])
            reason = None if best == "unsaid" else best
            if diet is not None:
                name, reason = diet[0], diet[1] or reason
                category = None
        sentence = sentence_of(text, subject.start, subject.end)
        member = None
        if reading.member >= 0.5:
            member = nearest_member(mentions, subject.start, subject.end, sentence) or (
                nearest_member(mentions, subject.start, subject.end, (0, len(text)))
            )
        strength = 2 if reading.strong >= 0.5 else 1
        return StatedFact(
            subject=name,
            polarity=polarity,
            reason=reason,
            strength=strength if polarity == "like" else -strength,
            stated=" ".join(text[sentence[0] : sentence[1]].split()),
            category=category,
            confident=sure,
            member=member,
            until=until(text[sentence[0] : sentence[1]], today, self.language),
            confidence=round(confidence, 3),
        )


def _outranks(new: StatedFact, old: StatedFact) -> bool:
    """Two readings of one subject: an avoid wins, then one with its reason, then the surer."""
    if (new.polarity == "avoid") != (old.polarity == "avoid"):
        return new.polarity == "avoid"
    if (new.reason is None) != (old.reason is None):
        return new.reason is not None  # "gluten, coeliac": the reason said wins
    return new.confidence > old.confidence


_lock = threading.Lock()
_shared: dict[Path, FactReader] = {}


def shared_reader(folder: Path = DEFAULT_DIR) -> FactReader:
    """The process's one reader for a folder, loaded on first use."""
    with _lock:
        if folder not in _shared:
            _shared[folder] = FactReader(folder)
        return _shared[folder]


def extract_facts(text: str, vocabulary: Vocabulary, today: date | None = None) -> list[StatedFact]:
    """The facts a message states, read by the process's trained reader."""
    return shared_reader().read(text, vocabulary, today)


def asked_for(text: str, vocabulary: Vocabulary) -> list[str]:
    """The foods a message asks for or wants now, without a taste stated (FactReader.asked_for)."""
    return shared_reader().asked_for(text, vocabulary)
