"""FAISS in the file store: exact below the HNSW threshold, HNSW from it on, close to exact."""

from __future__ import annotations

import numpy as np

from index.vectors import FaissStore

TOPICS = np.random.default_rng(14).normal(size=(200, 384))


def _corpus(rows: int, seed: int = 14) -> np.ndarray:
    """Unit vectors around 200 shared topics, each its topic plus as much noise (passages and
    questions about the same subjects)."""
    rng = np.random.default_rng(seed)
    vectors = TOPICS[rng.integers(200, size=rows)] + 0.8 * rng.normal(size=(rows, 384))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype("float32")


def test_hnsw_is_used_from_the_threshold_on():
    vectors = _corpus(1200)
    assert not FaissStore.build(vectors[:999], hnsw_min_rows=1000).approximate
    assert FaissStore.build(vectors[:1000], hnsw_min_rows=1000).approximate
    assert not FaissStore.build(vectors, hnsw_min_rows=0).approximate


def test_hnsw_recall_at_10_against_exact_search():
    vectors = _corpus(6000)
    queries = _corpus(100, seed=15)
    exact = FaissStore.build(vectors)
    hnsw = FaissStore.build(vectors, hnsw_min_rows=5000)
    assert hnsw.approximate and hnsw.size == exact.size == 6000
    recall = np.mean([len(set(exact.search(q, 10)[0]) & set(hnsw.search(q, 10)[0])) / 10
                      for q in queries])
    assert recall >= 0.98, recall
    allowed = np.arange(0, 6000, 3)
    found, _ = hnsw.search(queries[0], 10, allowed)
    assert len(found) == 10 and set(found.tolist()) <= set(allowed.tolist())
