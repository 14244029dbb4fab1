"""Where a built index lives: one small interface, two implementations, one factory.

A ``Backend`` knows a location (an index folder, or a PostgreSQL database): which version is
active, how to publish a new one atomically, and how to open a ``Store`` pinned to one
version. A ``Store`` answers the dense and lexical candidate searches, hands out chunks and
the knowledge graph. ``open_backend`` picks the implementation from ``CASEGRAPH_STORE_URL``:
unset means the embedded files (FAISS + bm25s + networkx), ``postgresql://...`` PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.chunks import Chunk
from index.manifest import Manifest
from index.settings import Settings

if TYPE_CHECKING:
    import networkx as nx

    from index.graph import KnowledgeGraph

@dataclass(frozen=True)
class Ranked:
    """A candidate list, best first: chunk rows and their scores, as parallel arrays."""

    rows: np.ndarray  # int64
    scores: np.ndarray  # float

    @classmethod
    def of(cls, pairs: Iterable[tuple[int, float]]) -> Ranked:
        """From (row, score) pairs already in rank order."""
        found = list(pairs)
        return cls(np.fromiter((r for r, _ in found), dtype="int64", count=len(found)),
                   np.fromiter((s for _, s in found), dtype="float64", count=len(found)))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[int, float]]:
        """(row, score) pairs, best first."""
        return zip(self.rows.tolist(), self.scores.tolist(), strict=True)


MODES = ("hybrid", "dense", "bm25")


@dataclass(frozen=True)
class Filters:
    """Search restrictions, already checked against the index (concept is a concept id)."""

    study: str | None = None
    chapter: str | None = None
    concept: str | None = None

    def __bool__(self) -> bool:
        return bool(self.study or self.chapter or self.concept)


@dataclass
class Build:
    """Everything an ingest produced, ready to be published as one new version."""

    manifest: Manifest
    chunks: list[Chunk]
    vectors: np.ndarray
    graph: nx.MultiDiGraph


class Store(Protocol):
    """One version of an index, read-only. Rows are 0-based chunk positions."""

    version: str
    manifest: Manifest

    def dense(self, vector: np.ndarray, k: int, filters: Filters) -> Ranked:
        """The ``k`` rows nearest to a unit ``vector`` (inner product), among the filtered."""
        ...

    def lexical(self, query: str, k: int, filters: Filters) -> Ranked:
        """The ``k`` best rows by lexical score (positive scores only), among the filtered."""
        ...

    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        """The chunks at ``rows``, in that order."""
        ...

    def chunk(self, chunk_id: str) -> Chunk | None: ...

    def all_chunks(self) -> list[Chunk]: ...

    def facets(self) -> tuple[set[str], set[str]]:
        """Every study id and every chapter name in the index."""
        ...

    def document_frequencies(self) -> tuple[int, dict[str, int]]:
        """Number of chunks, and in how many chunks each stemmed term occurs."""
        ...

    def graph(self) -> KnowledgeGraph: ...


class Backend(Protocol):
    """A place holding versions of the index; one of them is active."""

    def describe(self) -> str:
        """Where the index lives, for messages (a folder, or a database without password)."""
        ...

    def active_version(self) -> str | None:
        """The active version's name (cheap; polled by servers), None when there is none."""
        ...

    def open(self, search: bool = True) -> Store:
        """A store pinned to the active version; raises IndexLoadError when there is none.
        ``search=False``: the caller only looks up chunks and the graph, so a store may skip
        loading what searching needs."""
        ...

    def active_manifest(self) -> tuple[str, Manifest]:
        """The active version's name and manifest, read without loading the version (cheap);
        raises IndexLoadError when there is none."""
        ...

    def publish(self, build: Build) -> str:
        """Write ``build`` as a new version and make it active in one step; its name."""
        ...

    def cached_vectors(self, model_name: str, dimension: int) -> dict[str, np.ndarray]:
        """embed_hash -> vector of the active version, if it used the same model."""
        ...


def open_backend(settings: Settings) -> Backend:
    """The backend ``settings`` name: PostgreSQL for a ``postgresql://`` URL, else files."""
    url = settings.store_url
    if not url:
        from index.stores.file_backend import FileBackend

        return FileBackend(settings.index_dir, settings.faiss_hnsw_min_rows)
    if url.startswith(("postgresql://", "postgres://")):
        from index.stores.postgres import PostgresBackend

        return PostgresBackend.connect(url, settings)
    raise ValueError(
        f"CASEGRAPH_STORE_URL must be unset (index files) or a postgresql:// URL, not {url!r}"
    )
