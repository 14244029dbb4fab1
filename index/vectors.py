"""Dense vector store behind a small interface; FAISS in-process is the embedded default."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

VECTORS_FILE = "vectors.faiss"


class VectorStore(Protocol):
    """What the search needs from a vector store (FAISS here; pgvector or Qdrant could serve)."""

    def search(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and inner-product scores of the ``k`` nearest rows, among ``allowed`` ids."""
        ...

    def vectors(self) -> np.ndarray:
        """Every stored vector, in row order."""
        ...


class FaissStore:
    """Exact inner-product search (``IndexFlatIP``) over unit vectors, i.e. cosine similarity."""

    def __init__(self, index: faiss.Index):
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray) -> FaissStore:
        index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype="float32"))
        return cls(index)

    @classmethod
    def read(cls, directory: Path) -> FaissStore:
        return cls(faiss.read_index(str(directory / VECTORS_FILE)))

    def write(self, directory: Path) -> None:
        faiss.write_index(self._index, str(directory / VECTORS_FILE))

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def vectors(self) -> np.ndarray:
        if self.size == 0:
            return np.zeros((0, self.dimension), dtype="float32")
        return self._index.reconstruct_n(0, self.size)

    def search(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype="float32")
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return np.zeros(0, dtype="int64"), np.zeros(0, dtype="float32")
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed.astype("int64")))
        k = min(k, self.size if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, dtype="int64"), np.zeros(0, dtype="float32")
        scores, ids = self._index.search(query, k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]
