"""FAISS vectors of the embedded store (``vectors.faiss``): exact, or HNSW for large indexes."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

VECTORS_FILE = "vectors.faiss"


HNSW_NEIGHBOURS = 48
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 512


class FaissStore:
    """Inner-product search over unit vectors, i.e. cosine similarity: exact (``IndexFlatIP``)
    below ``hnsw_min_rows`` vectors, approximate (``IndexHNSWFlat``) from there on."""

    def __init__(self, index: faiss.Index):
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray, hnsw_min_rows: int = 0) -> FaissStore:
        """An exact index, or HNSW when ``hnsw_min_rows`` is set and there are that many rows."""
        if hnsw_min_rows and len(vectors) >= hnsw_min_rows:
            index = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_NEIGHBOURS,
                                        faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        else:
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
    def approximate(self) -> bool:
        return isinstance(self._index, faiss.IndexHNSW)

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
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None,
        ef_search: int = HNSW_EF_SEARCH,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and inner-product scores of the ``k`` nearest rows, among ``allowed`` ids;
        ``ef_search`` is the HNSW candidate list length (ignored by the exact index)."""
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype="float32")
        k = min(k, self.size if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, dtype="int64"), np.zeros(0, dtype="float32")
        selector = None if allowed is None else faiss.IDSelectorBatch(allowed.astype("int64"))
        if self.approximate:
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(ef_search, k))
        else:
            params = faiss.SearchParameters(sel=selector) if selector is not None else None
        scores, ids = self._index.search(query, k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]
