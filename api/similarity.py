"""How close each sentence is in meaning to a question: cosine of sentence embeddings.

Sentence vectors are cached by text (the corpus is fixed between ingests), so a sentence is
embedded once per process however many questions quote it.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

import numpy as np

from index.embedder import Embedder

CACHE_SIZE = 20000


class SentenceSimilarity:
    """Question-to-sentence cosine similarity with one embedder and an LRU of vectors."""

    def __init__(self, embedder: Embedder, cache_size: int = CACHE_SIZE):
        self.embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = cache_size
        self._lock = Lock()

    def _vectors(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        fresh = self.embedder.encode(missing) if missing else []
        with self._lock:
            for text, vector in zip(missing, fresh, strict=True):
                self._cache[text] = vector
            rows = []
            for text in texts:
                self._cache.move_to_end(text)
                rows.append(self._cache[text])
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return np.vstack(rows) if rows else np.zeros((0, self.embedder.dimension), "float32")

    def scores(self, question: str, texts: list[str]) -> list[float]:
        """Cosine similarity of each text to the question."""
        if not texts:
            return []
        query = self.embedder.encode_query(question)
        return [float(x) for x in self._vectors(texts) @ query]
