"""How close each sentence is in meaning to a question: cosine of sentence embeddings.

Sentence vectors are cached by text (the corpus is fixed between ingests), so a sentence is
embedded once per process however many questions quote it. With a ``store`` file (a vector
file beside the index, ``index/vector_cache.py``'s format) they also outlive the process:
a server embeds every quotable sentence of its index in the background once it is loaded
(``AnswerEngine.warm``) and saves them there, so later servers and ``casegraph ask`` read them
instead of embedding.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from threading import Event, Lock

import numpy as np

from index.embedder import Embedder
from index.vector_cache import embed_hash, read_vector_cache, write_vector_cache

CACHE_SIZE = 20000


class SentenceSimilarity:
    """Question-to-sentence cosine similarity with one embedder, an LRU of vectors and,
    optionally, a file of saved vectors."""

    def __init__(self, embedder: Embedder, store: Path | None = None,
                 cache_size: int = CACHE_SIZE):
        self.embedder = embedder
        self.store = store
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._saved: dict[str, np.ndarray] | None = None
        self._size = cache_size
        self._lock = Lock()

    @property
    def cached(self) -> int:
        """How many sentence vectors are held in memory."""
        return len(self._cache)

    def _from_store(self, text: str) -> np.ndarray | None:
        """The saved vector of ``text``, handed over once (the caller keeps it in memory);
        call with the lock held (reads the file once)."""
        if self._saved is None:
            self._saved = ({} if self.store is None else
                           read_vector_cache(self.store, self.embedder.name,
                                             self.embedder.dimension))
        return self._saved.pop(embed_hash(self.embedder.name, text), None)

    def _missing(self, texts: Iterable[str]) -> list[str]:
        """The texts neither in memory nor saved (saved ones are moved into memory)."""
        with self._lock:
            missing = []
            for text in dict.fromkeys(texts):
                if text in self._cache:
                    continue
                saved = self._from_store(text)
                if saved is None:
                    missing.append(text)
                else:
                    self._cache[text] = saved
            return missing

    def _vectors(self, texts: list[str]) -> np.ndarray:
        missing = self._missing(texts)
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

    def warm(self, texts: list[str], stop: Event, batch: int = 64) -> int:
        """Hold a vector for each of ``texts`` (at most the cache size), embedding those not
        saved ``batch`` at a time (request threads run between batches) until done or
        ``stop`` is set; then save them all to the store. How many were embedded."""
        texts = list(dict.fromkeys(texts))[:self._size]
        missing = self._missing(texts)
        done = 0
        for start in range(0, len(missing), batch):
            if stop.is_set():
                return done
            part = missing[start:start + batch]
            self._vectors(part)
            done += len(part)
        if done and self.store is not None:
            with self._lock:
                held = {embed_hash(self.embedder.name, t): self._cache[t]
                        for t in texts if t in self._cache}
            self.store.parent.mkdir(parents=True, exist_ok=True)
            write_vector_cache(self.store, self.embedder.name, held)
        return done

    def scores(self, question: str, texts: list[str]) -> list[float]:
        """Cosine similarity of each text to the question."""
        if not texts:
            return []
        query = self.embedder.encode_query(question)
        return [float(x) for x in self._vectors(texts) @ query]
