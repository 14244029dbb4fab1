"""The embedded store: one index folder of files (FAISS, bm25s, chunks.jsonl, graph.json).

The index path is a symbolic link to a build folder beside it. A build is written to a
temporary folder, renamed into place, and only then is the link replaced (``os.replace``),
so a crash at any point leaves the previous index whole and serving. A process loads the
files read-only into memory, so any number of server processes can share one folder.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import numpy as np

from index.chunks import Chunk, read_chunks, write_chunks
from index.graph import KnowledgeGraph, read_graph, write_graph
from index.lexical import LexicalIndex, tokenize
from index.manifest import MANIFEST_FILE, IndexLoadError, Manifest
from index.stores import Build, Filters, Ranked
from index.vectors import FaissStore


class FileStore:
    """One build folder, loaded into memory."""

    def __init__(self, directory: Path):
        self.version = directory.name
        self.manifest = Manifest.read(directory)
        try:
            self._chunks = read_chunks(directory)
            self._vectors = FaissStore.read(directory)
            self._lexical = LexicalIndex.read(directory, len(self._chunks))
            self._graph = KnowledgeGraph(read_graph(directory))
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise IndexLoadError(
                f"The index at {directory} is incomplete or corrupt ({exc}). "
                "Rebuild it with: casegraph ingest"
            ) from exc
        if self._vectors.size != len(self._chunks):
            raise IndexLoadError(
                f"The index at {directory} is corrupt: {self._vectors.size} vectors for "
                f"{len(self._chunks)} chunks. Rebuild it with: casegraph ingest"
            )
        self._by_id = {c.id: c for c in self._chunks}

    def _allowed(self, filters: Filters) -> np.ndarray | None:
        if not filters:
            return None
        return np.asarray([i for i, c in enumerate(self._chunks) if filters.admits(c)],
                          dtype="int64")

    def dense(self, vector: np.ndarray, k: int, filters: Filters) -> Ranked:
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
        return self._vectors.vectors()


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

    def open(self) -> FileStore:
        return FileStore(Path(os.path.realpath(self.index_dir)))

    def cached_vectors(self, model_name: str, dimension: int) -> dict[str, np.ndarray]:
        try:
            store = self.open()
            store.manifest.check_compatible(model_name, dimension)
        except (IndexLoadError, OSError, ValueError, RuntimeError):
            return {}
        chunks = store.all_chunks()
        return {c.embed_hash: v for c, v in zip(chunks, store.vectors(), strict=True)
                if c.embed_hash}

    def publish(self, build: Build) -> str:
        root = self.builds_root
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f"tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            write_chunks(tmp, build.chunks)
            FaissStore.build(build.vectors, self.hnsw_min_rows).write(tmp)
            LexicalIndex.build([c.embedding_text() for c in build.chunks]).write(tmp)
            write_graph(tmp, build.graph)
            build.manifest.write(tmp)
            final = root / f"build-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
            tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._swap_link(final)
        self._remove_old_builds(keep=final)
        return final.name

    def _swap_link(self, target: Path) -> None:
        """Point the index path at ``target`` atomically; a plain directory there is moved aside."""
        index_dir = self.index_dir
        if index_dir.exists() and not index_dir.is_symlink():
            index_dir.rename(self.builds_root / f"previous-{uuid.uuid4().hex[:6]}")
        link = index_dir.parent / f".{index_dir.name}.link-{uuid.uuid4().hex[:6]}"
        os.symlink(os.path.relpath(target, index_dir.parent), link)
        os.replace(link, index_dir)

    def _remove_old_builds(self, keep: Path, stale_tmp_s: float = 3600) -> None:
        """Drop superseded builds, and temporary folders of ingests that died over an hour ago."""
        now = time.time()
        for old in self.builds_root.iterdir():
            if old == keep or not old.is_dir():
                continue
            if not old.name.startswith("tmp-") or now - old.stat().st_mtime > stale_tmp_s:
                shutil.rmtree(old, ignore_errors=True)

