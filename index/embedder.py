"""Sentence-transformers embeddings: loaded once per process, normalized, queries cached."""

from __future__ import annotations

import os
from collections import OrderedDict
from functools import lru_cache
from threading import Lock

import numpy as np


class Embedder:
    """Embeds passages and queries with one local sentence-transformers model."""

    def __init__(self, model_path: str, name: str, batch_size: int = 32, cache_size: int = 2048):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.batch_size = batch_size
        self._model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        self.dimension = int(self._model.get_embedding_dimension())
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = Lock()

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype="float32")
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype="float32")

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector, served from an LRU cache when the same text was asked before."""
        key = " ".join(text.split()).lower()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        vector = self.encode([text])[0]
        with self._lock:
            self._cache[key] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector


@lru_cache(maxsize=4)
def load_embedder(model_path: str, name: str, batch_size: int = 32, cache_size: int = 2048) -> Embedder:
    """The process-wide embedder for a model (the model loads once per process)."""
    return Embedder(model_path, name, batch_size, cache_size)
