"""Load an index directory read-only and answer searches and look-ups over it."""

from __future__ import annotations

import difflib
import math
import os
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from index.chunks import Chunk, read_chunks
from index.concepts import ConceptMatcher
from index.embedder import Embedder
from index.graph import KnowledgeGraph, read_graph
from index.lexical import LexicalIndex, tokenize
from index.manifest import IndexLoadError, Manifest
from index.vectors import FaissStore, VectorStore

MODES = ("hybrid", "dense", "bm25")


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
    """One ranked chunk with its fused score and the scores it came from."""

    chunk: Chunk
    score: float
    dense: float | None
    lexical: float | None

    def to_result(self) -> dict:
        return self.chunk.to_result(self.score)


@dataclass
class Index:
    """Every artifact of one built index, in memory."""

    path: Path
    manifest: Manifest
    chunks: list[Chunk]
    vectors: VectorStore
    lexical: LexicalIndex
    graph: KnowledgeGraph
    matcher: ConceptMatcher
    embedder: Embedder
    dense_weight: float = 0.5
    rrf_k: int = 60

    @classmethod
    def load(cls, directory: Path, embedder: Embedder, dense_weight: float = 0.5,
             rrf_k: int = 60) -> Index:
        """Open ``directory`` (following the ``current`` link an ingest swaps atomically)."""
        directory = Path(os.path.realpath(directory))
        manifest = Manifest.read(directory)
        manifest.check_compatible(embedder.name, embedder.dimension)
        try:
            chunks = read_chunks(directory)
            vectors = FaissStore.read(directory)
            lexical = LexicalIndex.read(directory, len(chunks))
            graph = KnowledgeGraph(read_graph(directory))
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise IndexLoadError(
                f"The index at {directory} is incomplete or corrupt ({exc}). "
                "Rebuild it with: casegraph ingest"
            ) from exc
        if vectors.size != len(chunks):
            raise IndexLoadError(
                f"The index at {directory} is corrupt: {vectors.size} vectors for "
                f"{len(chunks)} chunks. Rebuild it with: casegraph ingest"
            )
        matcher = ConceptMatcher(graph.concepts())
        return cls(directory, manifest, chunks, vectors, lexical, graph, matcher, embedder,
                   dense_weight, rrf_k)

    def __post_init__(self) -> None:
        self._study_ids = {c.study for c in self.chunks}
        self._chapters = {c.chapter for c in self.chunks}
        self._by_id = {c.id: c for c in self.chunks}

    @property
    def study_ids(self) -> set[str]:
        return self._study_ids

    @property
    def chapters(self) -> set[str]:
        return self._chapters

    def allowed_rows(self, study: str | None = None, chapter: str | None = None,
                     concept: str | None = None) -> np.ndarray | None:
        """Row ids passing the filters (None when unfiltered); unknown values raise FilterError."""
        if not (study or chapter or concept):
            return None
        concept_id = None
        if study and study not in self._study_ids:
            raise FilterError("study", study, _close(study, self._study_ids))
        if chapter and chapter not in self._chapters:
            raise FilterError("chapter", chapter, _close(chapter, self._chapters))
        if concept:
            found = self.matcher.resolve(concept)
            if found is None:
                raise FilterError("concept", concept, self.matcher.suggest(concept))
            concept_id = found.id
        rows = [
            i for i, c in enumerate(self.chunks)
            if (not study or c.study == study)
            and (not chapter or c.chapter == chapter)
            and (concept_id is None or concept_id in c.concepts)
        ]
        return np.asarray(rows, dtype="int64")

    def search(self, query: str, k: int = 10, study: str | None = None,
               chapter: str | None = None, concept: str | None = None,
               mode: str = "hybrid", pool: int = 100) -> list[Hit]:
        """Top ``k`` chunks for ``query``: BM25 and dense rankings fused by weighted RRF."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        allowed = self.allowed_rows(study, chapter, concept)
        pool = max(pool, k)
        dense: dict[int, tuple[int, float]] = {}
        lexical: dict[int, tuple[int, float]] = {}
        if mode in ("hybrid", "dense"):
            ids, scores = self.vectors.search(self.embedder.encode_query(query), pool, allowed)
            dense = {int(i): (rank, float(s)) for rank, (i, s) in enumerate(zip(ids, scores, strict=True))}
        if mode in ("hybrid", "bm25"):
            scores = self.lexical.scores(query)
            if allowed is not None:
                mask = np.zeros_like(scores, dtype=bool)
                mask[allowed] = True
                scores = np.where(mask, scores, 0.0)
            top = np.argsort(-scores, kind="stable")[:pool]
            lexical = {int(i): (rank, float(scores[i])) for rank, i in enumerate(top)
                       if scores[i] > 0}
        weights = {"hybrid": self.dense_weight, "dense": 1.0, "bm25": 0.0}[mode]
        fused: dict[int, float] = {}
        for row, (rank, _) in dense.items():
            fused[row] = fused.get(row, 0.0) + weights / (self.rrf_k + rank + 1)
        for row, (rank, _) in lexical.items():
            fused[row] = fused.get(row, 0.0) + (1 - weights) / (self.rrf_k + rank + 1)
        scale = self.rrf_k + 1
        ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
        return [
            Hit(
                chunk=self.chunks[row],
                score=score * scale,
                dense=dense[row][1] if row in dense else None,
                lexical=lexical[row][1] if row in lexical else None,
            )
            for row, score in ranked
        ]

    @cached_property
    def term_idf(self) -> dict[str, float]:
        """Inverse document frequency of every stemmed term over the chunks."""
        df: Counter[str] = Counter()
        for tokens in tokenize([c.embedding_text() for c in self.chunks]):
            df.update(set(tokens))
        n = max(len(self.chunks), 1)
        return {t: math.log(1 + n / d) for t, d in df.items()}

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self._by_id.get(chunk_id)


def _close(value: str, options: set[str]) -> list[str]:
    return difflib.get_close_matches(value, sorted(options), n=3, cutoff=0.4) or [
        o for o in sorted(options) if value.lower() in o.lower()
    ][:3]
