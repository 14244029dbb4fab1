"""The embedded store: one build folder of files (FAISS, bm25s, chunks.jsonl, graph.json).

``write_build`` writes a build's files into a folder; ``FileStore`` loads one read-only into
memory after checking every file (``index/validation.py``), so any number of server
processes can share it. Where build folders live, and which one is active, is
``index/stores/file_backend.py``'s business.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import networkx as nx
import numpy as np

from index.chunks import Chunk, read_chunks, write_chunks
from index.graph import KnowledgeGraph, as_read, write_graph
from index.lexical import LexicalIndex, tokenize
from index.manifest import IndexLoadError, Manifest
from index.stores import Build, Filters, Ranked
from index.validation import checksums, load_artifacts, verify_checksums
from index.vectors import FaissStore

KEYWORD_ONLY_VERSION = "keyword-only"
"""Version name of the in-memory index served while the first build computes its vectors."""


class MemoryStore:
    """An index held in memory: chunks, BM25, graph and, once embedded, FAISS vectors.

    Without vectors it is the keyword-only index a first start serves while the vectors of
    the full build are computed; ``dense`` must not be asked of it then."""

    def __init__(self, version: str, manifest: Manifest, chunks: list[Chunk],
                 lexical: LexicalIndex | None, graph: KnowledgeGraph,
                 vectors: FaissStore | None = None):
        self.version = version
        self.manifest = manifest
        self._chunks, self._vectors = chunks, vectors
        self._lexical, self._graph = lexical, graph
        self._by_id = {c.id: c for c in self._chunks}

    @classmethod
    def keyword_only(cls, manifest: Manifest, chunks: list[Chunk],
                     graph: nx.MultiDiGraph) -> MemoryStore:
        """A store of a build's chunks and graph with a fresh BM25 index and no vectors."""
        lexical = LexicalIndex.build([c.embedding_text() for c in chunks])
        return cls(KEYWORD_ONLY_VERSION, manifest, chunks, lexical, KnowledgeGraph(as_read(graph)))

    def _admitted(self, filters: Filters) -> np.ndarray | None:
        """Which rows ``filters`` admit, as a mask (None: all), from columns built once."""
        if not filters:
            return None
        studies, chapters, concepts = self._columns
        admitted = np.ones(len(self._chunks), dtype=bool)
        if filters.study:
            admitted &= studies == filters.study
        if filters.chapter:
            admitted &= chapters == filters.chapter
        if filters.concept:
            tagged = np.zeros_like(admitted)
            tagged[concepts.get(filters.concept, [])] = True
            admitted &= tagged
        return admitted

    @cached_property
    def _columns(self) -> tuple[np.ndarray, np.ndarray, dict[str, list[int]]]:
        """Each row's study and chapter, and the rows tagged with each concept."""
        concepts: dict[str, list[int]] = {}
        for row, chunk in enumerate(self._chunks):
            for concept in chunk.concepts:
                concepts.setdefault(concept, []).append(row)
        return (np.array([c.study for c in self._chunks], dtype=object),
                np.array([c.chapter for c in self._chunks], dtype=object), concepts)

    def dense(self, vector: np.ndarray, k: int, filters: Filters) -> Ranked:
        if self._vectors is None:
            raise RuntimeError("This keyword-only index has no vectors yet.")
        admitted = self._admitted(filters)
        allowed = None if admitted is None else np.flatnonzero(admitted).astype("int64")
        ids, scores = self._vectors.search(vector, k, allowed)
        return Ranked(ids.astype("int64"), scores)

    def lexical(self, query: str, k: int, filters: Filters) -> Ranked:
        if self._lexical is None:
            raise RuntimeError("This index was opened for look-ups only; it cannot search.")
        scores = self._lexical.scores(query)
        admitted = self._admitted(filters)
        if admitted is not None:
            scores = np.where(admitted, scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        top = top[scores[top] > 0]
        return Ranked(top.astype("int64"), scores[top])

    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        return [self._chunks[r] for r in rows]

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self._by_id.get(chunk_id)

    def all_chunks(self) -> list[Chunk]:
        return list(self._chunks)

    def facets(self) -> tuple[set[str], set[str]]:
        return {c.study for c in self._chunks}, {c.chapter for c in self._chunks}

    def document_frequencies(self) -> tuple[int, dict[str, int]]:
        return len(self._chunks), self._df

    @cached_property
    def _df(self) -> dict[str, int]:
        df: Counter[str] = Counter()
        for tokens in tokenize([c.embedding_text() for c in self._chunks]):
            df.update(set(tokens))
        return dict(df)

    def graph(self) -> KnowledgeGraph:
        return self._graph

    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            return np.zeros((0, self.manifest.dimension), dtype="float32")
        return self._vectors.vectors()


class FileStore(MemoryStore):
    """One build folder, loaded into memory (without its FAISS and BM25 files for
    ``search=False``: concept and study look-ups need only the chunks and the graph)."""

    def __init__(self, directory: Path, search: bool = True):
        manifest = Manifest.read(directory)
        found = load_artifacts(directory, manifest, search)
        super().__init__(directory.name, manifest, found.chunks, found.lexical, found.graph,
                         found.vectors)


def write_build(directory: Path, build: Build, hnsw_min_rows: int) -> None:
    """Write every file of ``build`` into ``directory``, the manifest (with checksums) last."""
    write_chunks(directory, build.chunks)
    FaissStore.build(build.vectors, hnsw_min_rows).write(directory)
    LexicalIndex.build([c.embedding_text() for c in build.chunks]).write(directory)
    write_graph(directory, build.graph)
    build.manifest.checksums = checksums(directory)
    build.manifest.write(directory)


def read_vectors(directory: Path, model_name: str, dimension: int) -> dict[str, np.ndarray]:
    """embed_hash -> vector of the build in ``directory`` if it is intact and used the same
    model (of any format version: vectors depend only on the model and the text)."""
    try:
        manifest = Manifest.read(directory)
        if (manifest.model_name, manifest.dimension) != (model_name, dimension):
            return {}
        if manifest.checksums:  # indexes of format 1 have none; their vectors are still reused
            verify_checksums(directory, manifest)
        chunks = read_chunks(directory)
        vectors = FaissStore.read(directory).vectors()
    except (IndexLoadError, OSError, ValueError, TypeError, RuntimeError):
        return {}
    if len(chunks) != len(vectors):
        return {}
    return {c.embed_hash: v for c, v in zip(chunks, vectors, strict=True) if c.embed_hash}
