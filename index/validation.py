"""Every artifact of an index directory, read and checked before it is served.

Checks, in order: the sha256 of each file against the checksums the build recorded in the
manifest; that each file parses; then the files against each other and the manifest (FAISS
dimension and row count, BM25 vocabulary and document count, graph nodes and study counts).
The first failure is one ``IndexLoadError`` naming the bad file, without absolute paths.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from index.chunks import CHUNKS_FILE, Chunk, read_chunks
from index.graph import GRAPH_FILE, KnowledgeGraph, read_graph
from index.lexical import BM25_DIR, LexicalIndex
from index.manifest import MANIFEST_FILE, REBUILD, IndexLoadError, Manifest
from index.vectors import VECTORS_FILE, FaissStore

log = logging.getLogger("casegraph")
T = TypeVar("T")
NODE_KINDS = frozenset({"study", "document", "concept"})


@dataclass
class Artifacts:
    """The checked contents of one index directory."""

    chunks: list[Chunk]
    graph: KnowledgeGraph
    vectors: FaissStore | None = None  # None when loaded for look-ups only
    lexical: LexicalIndex | None = None


def checksums(directory: Path) -> dict[str, str]:
    """sha256 of every file of a build except the manifest, by path relative to the build."""
    return {
        path.relative_to(directory).as_posix(): _sha256(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != MANIFEST_FILE
    }


def load_artifacts(directory: Path, manifest: Manifest, search: bool = True) -> Artifacts:
    """Read and check every artifact of ``directory`` against ``manifest``; with
    ``search=False`` only the chunks and the graph (what concept and study look-ups read)."""
    verify_checksums(directory, manifest, only=None if search else (CHUNKS_FILE, GRAPH_FILE))
    chunks = _read(CHUNKS_FILE, lambda: read_chunks(directory))
    graph = _read(GRAPH_FILE, lambda: KnowledgeGraph(read_graph(directory)))
    check_chunks(chunks, manifest)
    check_graph(graph, chunks, manifest)
    if not search:
        return Artifacts(chunks, graph)
    vectors = _read(VECTORS_FILE, lambda: FaissStore.read(directory))
    lexical = _read(BM25_DIR, lambda: LexicalIndex.read(directory, len(chunks)))
    check_vectors(vectors, manifest, len(chunks))
    check_lexical(lexical, len(chunks))
    return Artifacts(chunks, graph, vectors, lexical)


def verify_checksums(directory: Path, manifest: Manifest,
                     only: tuple[str, ...] | None = None) -> None:
    """Every file the build recorded (or those of them ``only`` names) is there with the same
    content."""
    if not manifest.checksums:
        raise IndexLoadError(f"{MANIFEST_FILE} records no file checksums. {REBUILD}")
    for name, expected in sorted(manifest.checksums.items()):
        if only is not None and name not in only:
            continue
        path = directory / name
        if not path.is_file():
            raise _bad(name, "is missing")
        if _sha256(path) != expected:
            raise _bad(name, "does not match the checksum recorded when the index was built")


def check_chunks(chunks: list[Chunk], manifest: Manifest) -> None:
    expected = manifest.counts.get("chunks")
    if expected is not None and len(chunks) != expected:
        raise _bad(CHUNKS_FILE, f"has {len(chunks)} chunks, the manifest says {expected}")
    if len({c.id for c in chunks}) != len(chunks):
        raise _bad(CHUNKS_FILE, "has duplicate chunk ids")


def check_vectors(vectors: FaissStore, manifest: Manifest, chunks: int) -> None:
    if vectors.dimension != manifest.dimension:
        raise _bad(VECTORS_FILE, f"holds {vectors.dimension}-dimensional vectors, "
                                 f"the manifest says {manifest.dimension}")
    if vectors.size != chunks:
        raise _bad(VECTORS_FILE, f"holds {vectors.size} vectors for {chunks} chunks")


def check_lexical(lexical: LexicalIndex, chunks: int) -> None:
    vocabulary, documents, terms = lexical.shape()
    if documents != chunks:
        raise _bad(BM25_DIR, f"indexes {documents} documents for {chunks} chunks")
    if chunks and not vocabulary:
        raise _bad(BM25_DIR, "has an empty vocabulary")
    if vocabulary and (min(vocabulary) < 0 or max(vocabulary) >= terms):
        raise _bad(BM25_DIR, f"has vocabulary ids outside its {terms} score columns")


def check_graph(graph: KnowledgeGraph, chunks: list[Chunk], manifest: Manifest) -> None:
    kinds = {d.get("kind") for _, d in graph.g.nodes(data=True)}
    if not kinds <= NODE_KINDS:
        raise _bad(GRAPH_FILE, f"has nodes of unknown kinds {sorted(map(str, kinds - NODE_KINDS))}")
    if any("kind" not in d for _, _, d in graph.g.edges(data=True)):
        raise _bad(GRAPH_FILE, "has edges without a kind")
    studies = {s["id"] for s in graph.studies()}
    for kind, found in (("studies", len(studies)), ("concepts", len(graph.concepts()))):
        expected = manifest.counts.get(kind)
        if expected is not None and found != expected:
            raise _bad(GRAPH_FILE, f"has {found} {kind}, the manifest says {expected}")
    orphans = sorted({c.study for c in chunks} - studies)
    if orphans:
        raise _bad(GRAPH_FILE, f"lacks the studies of some chunks ({', '.join(orphans[:3])})")


def loaded_counts(chunks: list[Chunk], graph: KnowledgeGraph) -> dict[str, int]:
    """What was actually loaded (for /health), not what the manifest claims."""
    return {"chunks": len(chunks), "studies": len(graph.studies()),
            "concepts": len(graph.concepts())}


def _read(name: str, reader: Callable[[], T]) -> T:
    """``reader()``; any failure becomes an IndexLoadError naming ``name`` (details in the log)."""
    try:
        return reader()
    except Exception as exc:
        log.debug("reading %s failed", name, exc_info=True)
        raise _bad(name, f"cannot be read ({type(exc).__name__})") from exc


def _bad(name: str, problem: str) -> IndexLoadError:
    return IndexLoadError(f"The index file {name} {problem}. {REBUILD}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
