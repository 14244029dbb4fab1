"""One index version, read-only: hybrid search (weighted RRF), filters and chunk look-ups."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from index.chunks import Chunk
from index.concepts import ConceptMatcher
from index.embedder import Embedder
from index.graph import KnowledgeGraph
from index.manifest import Manifest
from index.relevance import WeakBelow, keyword_matches
from index.stores import MODES, Filters, Ranked, Store
from index.validation import loaded_counts


class FilterError(ValueError):
    """A search filter names something the index does not have."""

    def __init__(self, field: str, value: str, suggestions: list[str]):
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"Unknown {field} '{value}'.{hint}")
        self.field = field
        self.value = value
        self.suggestions = suggestions


@dataclass
class Hit:
    """One ranked chunk with its fused score, the scores it came from (cosine similarity and
    BM25, None when outside that ranking), its keyword share and whether it is a weak match."""

    chunk: Chunk
    score: float
    dense: float | None
    lexical: float | None
    keyword: float = 0.0
    weak: bool = False

    def to_result(self) -> dict:
        """The public shape: the chunk, the fused ``score`` and the readable relevance."""
        return {**self.chunk.to_result(self.score),
                "cosine": None if self.dense is None else round(self.dense, 4),
                "bm25": None if self.lexical is None else round(self.lexical, 4),
                "keyword": round(self.keyword, 4),
                "weak": self.weak}


class Index:
    """One version of the index: hybrid search, filters and look-ups over a ``Store``."""

    def __init__(self, store: Store, embedder: Embedder, dense_weight: float = 0.5,
                 rrf_k: int = 60, fusion_pool: int = 1000, weak_below: WeakBelow | None = None,
                 keyword_only: bool = False):
        """``keyword_only``: the store has no vectors yet, every search is BM25 alone."""
        store.manifest.check_compatible(embedder.name, embedder.dimension)
        self.store = store
        self.embedder = embedder
        self.dense_weight = dense_weight
        self.rrf_k = rrf_k
        self.fusion_pool = fusion_pool
        self.weak_below = weak_below or WeakBelow()
        self.keyword_only = keyword_only
        self.graph: KnowledgeGraph = store.graph()
        self.matcher = ConceptMatcher(self.graph.concepts())
        studies, self._chapters = store.facets()
        # a study whose files made no chunks (an empty README) is still a study
        self._study_ids = studies | {s["id"] for s in self.graph.studies()}

    @property
    def manifest(self) -> Manifest:
        return self.store.manifest

    @property
    def version(self) -> str:
        """Name of the index version this object serves (it never changes underneath it)."""
        return self.store.version

    @property
    def chunks(self) -> list[Chunk]:
        """Every chunk, in row order (reads them all: for tests and tools, not requests)."""
        return self.store.all_chunks()

    @property
    def study_ids(self) -> set[str]:
        return self._study_ids

    @property
    def chapters(self) -> set[str]:
        return self._chapters

    def filters(self, study: str | None = None, chapter: str | None = None,
                concept: str | None = None) -> Filters:
        """Checked search filters; an unknown value raises FilterError with close matches."""
        if study and study not in self._study_ids:
            raise FilterError("study", study, _close(study, self._study_ids))
        if chapter and chapter not in self._chapters:
            raise FilterError("chapter", chapter, _close(chapter, self._chapters))
        concept_id = None
        if concept:
            found = self.matcher.resolve(concept)
            if found is None:
                raise FilterError("concept", concept, self.matcher.suggest(concept))
            concept_id = found.id
        return Filters(study or None, chapter or None, concept_id)

    def search(self, query: str, k: int = 10, study: str | None = None,
               chapter: str | None = None, concept: str | None = None,
               mode: str = "hybrid", pool: int | None = None) -> list[Hit]:
        """Top ``k`` chunks for ``query``: BM25 and dense rankings fused by weighted RRF over
        the top ``pool`` of each (default: the index's fusion pool); BM25 alone on a
        keyword-only index, whatever ``mode`` asks."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if self.keyword_only:
            mode = "bm25"
        filters = self.filters(study, chapter, concept)
        pool = max(pool or self.fusion_pool, k)
        empty = Ranked.of([])
        dense = lexical = empty
        if mode in ("hybrid", "dense"):
            dense = self.store.dense(self.embedder.encode_query(query), pool, filters)
        if mode in ("hybrid", "bm25"):
            lexical = self.store.lexical(query, pool, filters)
        weight = {"hybrid": self.dense_weight, "dense": 1.0, "bm25": 0.0}[mode]
        ranked = self._fuse(dense, lexical, weight, k)
        chunks = self.store.chunks([row for row, _ in ranked])
        matches = keyword_matches(query, [c.embedding_text() for c in chunks], self.term_idf)
        hits = []
        scale = self.rrf_k + 1
        for (row, score), chunk, match in zip(ranked, chunks, matches, strict=True):
            cosine, bm25 = _score_of(dense, row), _score_of(lexical, row)
            hits.append(Hit(chunk, score * scale, cosine, bm25, match.share,
                            self.weak_below.weak(cosine, match)))
        return hits

    def _fuse(self, dense: Ranked, lexical: Ranked, weight: float,
              k: int) -> list[tuple[int, float]]:
        """Weighted reciprocal rank fusion: each list adds ``w / (rrf_k + rank)`` to its rows;
        the top ``k`` rows by fused score, ties broken by row."""
        rows = np.concatenate([dense.rows, lexical.rows])
        if not len(rows):
            return []
        gains = np.concatenate([weight / (self.rrf_k + np.arange(1, len(dense) + 1)),
                                (1 - weight) / (self.rrf_k + np.arange(1, len(lexical) + 1))])
        unique, where = np.unique(rows, return_inverse=True)
        fused = np.bincount(where, weights=gains, minlength=len(unique))
        top = np.lexsort((unique, -fused))[:k]
        return list(zip(unique[top].tolist(), fused[top].tolist(), strict=True))

    @cached_property
    def term_idf(self) -> dict[str, float]:
        """Inverse document frequency of every stemmed term over the chunks."""
        n, df = self.store.document_frequencies()
        n = max(n, 1)
        return {t: math.log(1 + n / d) for t, d in df.items()}

    @cached_property
    def loaded_counts(self) -> dict[str, int]:
        """Chunks, studies and concepts as loaded (read once per version, for /health)."""
        return loaded_counts(self.chunks, self.graph)

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self.store.chunk(chunk_id)


def _score_of(ranked: Ranked, row: int) -> float | None:
    """The score ``ranked`` gave ``row``, None when the row is not in it."""
    at = np.flatnonzero(ranked.rows == row)
    return float(ranked.scores[at[0]]) if len(at) else None


def _close(value: str, options: set[str]) -> list[str]:
    return difflib.get_close_matches(value, sorted(options), n=3, cutoff=0.4) or [
        o for o in sorted(options) if value.lower() in o.lower()
    ][:3]
