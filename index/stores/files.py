"""The embedded store: one index folder of files (FAISS, bm25s, chunks.jsonl, graph.json).

The index path is a symbolic link to a build folder beside it. A build is written to a
temporary folder, renamed into place, and only then is the link replaced (``os.replace``),
so a crash at any point leaves the previous index whole and serving. A lock file beside the
link admits one build at a time across processes, and a build only ever removes builds the
link does not point to. A process loads the files read-only into memory, after checking every
file (``index/validation.py``), so any number of server processes can share one folder.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import networkx as nx
import numpy as np
from filelock import FileLock, Timeout

from index.chunks import Chunk, read_chunks, write_chunks
from index.graph import KnowledgeGraph, as_read, write_graph
from index.lexical import LexicalIndex, tokenize
from index.manifest import MANIFEST_FILE, IndexLoadError, Manifest
from index.stores import Build, Filters, Ranked
from index.validation import checksums, load_artifacts, verify_checksums
from index.vectors import FaissStore

KEYWORD_ONLY_VERSION = "keyword-only"
"""Version name of the in-memory index served while the first build computes its vectors."""


class BuildLocked(RuntimeError):
    """Another process is building this index folder."""


class MemoryStore:
    """An index held in memory: chunks, BM25, graph and, once embedded, FAISS vectors.

    Without vectors it is the keyword-only index a first start serves while the vectors of
    the full build are computed; ``dense`` must not be asked of it then."""

    def __init__(self, version: str, manifest: Manifest, chunks: list[Chunk],
                 lexical: LexicalIndex, graph: KnowledgeGraph, vectors: FaissStore | None = None):
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

    def _allowed(self, filters: Filters) -> np.ndarray | None:
        if not filters:
            return None
        return np.asarray([i for i, c in enumerate(self._chunks) if filters.admits(c)],
                          dtype="int64")

    def dense(self, vector: np.ndarray, k: int, filters: Filters) -> Ranked:
        if self._vectors is None:
            raise RuntimeError("This keyword-only index has no vectors yet.")
        ids, scores = self._vectors.search(vector, k, self._allowed(filters))
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]

    def lexical(self, query: str, k: int, filters: Filters) -> Ranked:
        scores = self._lexical.scores(query)
        allowed = self._allowed(filters)
        if allowed is not None:
            mask = np.zeros_like(scores, dtype=bool)
            mask[allowed] = True
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

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
    """One build folder, loaded into memory."""

    def __init__(self, directory: Path):
        manifest = Manifest.read(directory)
        found = load_artifacts(directory, manifest)
        super().__init__(directory.name, manifest, found.chunks, found.lexical, found.graph,
                         found.vectors)


class FileBackend:
    """An index folder (a link swapped atomically to the newest build folder)."""

    def __init__(self, index_dir: Path, hnsw_min_rows: int = 0):
        self.index_dir = Path(index_dir)
        self.hnsw_min_rows = hnsw_min_rows

    def describe(self) -> str:
        return str(self.index_dir)

    @property
    def builds_root(self) -> Path:
        """Folder holding the build directories the index link points into."""
        return self.index_dir.parent / f".{self.index_dir.name}.builds"

    def active_version(self) -> str | None:
        target = Path(os.path.realpath(self.index_dir))
        return target.name if (target / MANIFEST_FILE).is_file() else None

    @property
    def lock_path(self) -> Path:
        """The lock file one build of the index holds at a time, across processes."""
        return self.index_dir.parent / f".{self.index_dir.name}.lock"

    def open(self) -> FileStore:
        return FileStore(Path(os.path.realpath(self.index_dir)))

    def active_manifest(self) -> tuple[str, Manifest]:
        directory = Path(os.path.realpath(self.index_dir))
        return directory.name, Manifest.read(directory)

    def cached_vectors(self, model_name: str, dimension: int) -> dict[str, np.ndarray]:
        """Vectors of the active build if it is intact and used the same model (of any format
        version: vectors depend only on the model and the text)."""
        directory = Path(os.path.realpath(self.index_dir))
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

    @contextmanager
    def build_lock(self) -> Iterator[None]:
        """Hold the build lock (or raise BuildLocked at once), clearing what killed builds left."""
        self.index_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            lock = FileLock(self.lock_path).acquire(timeout=0)
        except Timeout as exc:
            raise BuildLocked(
                f"Another build of the index {self.index_dir.name} is running (it holds "
                f"{self.lock_path.name}); try again when it has finished."
            ) from exc
        with lock:
            self._remove_leftovers()
            yield

    def publish(self, build: Build, on_stage: Callable[[str], None] | None = None) -> str:
        """Write, seal, link; call with ``build_lock`` held. ``on_stage`` gets each step."""
        stage = on_stage or (lambda _: None)
        root = self.builds_root
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f"tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            write_chunks(tmp, build.chunks)
            stage("Writing the new build.")
            FaissStore.build(build.vectors, self.hnsw_min_rows).write(tmp)
            LexicalIndex.build([c.embedding_text() for c in build.chunks]).write(tmp)
            write_graph(tmp, build.graph)
            build.manifest.checksums = checksums(tmp)
            build.manifest.write(tmp)
            stage("Sealing the new build.")
            final = root / f"build-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
            tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        stage("Linking the new build.")
        self._swap_link(final, stage)
        stage("Removing superseded builds.")
        self._remove_leftovers()
        return final.name

    def _swap_link(self, target: Path, stage: Callable[[str], None]) -> None:
        """Point the index path at ``target`` atomically; a plain directory there is moved aside."""
        index_dir = self.index_dir
        if index_dir.exists() and not index_dir.is_symlink():
            index_dir.rename(self.builds_root / f"previous-{uuid.uuid4().hex[:6]}")
        link = index_dir.parent / f".{index_dir.name}.link-{uuid.uuid4().hex[:6]}"
        os.symlink(os.path.relpath(target, index_dir.parent), link)
        stage("Swapping the index link.")
        os.replace(link, index_dir)

    def _remove_leftovers(self) -> None:
        """With the build lock held: drop every build but the one the link points to, and what
        interrupted builds left (``tmp-*`` folders, ``.<index>.link-*`` links)."""
        live = Path(os.path.realpath(self.index_dir))
        root = self.builds_root
        for old in root.iterdir() if root.is_dir() else []:
            if old.name.startswith(("build-", "tmp-", "previous-")) and old.resolve() != live:
                shutil.rmtree(old, ignore_errors=True)
        for link in self.index_dir.parent.glob(f".{self.index_dir.name}.link-*"):
            link.unlink(missing_ok=True)

