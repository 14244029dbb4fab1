"""``casegraph ingest``: content folder -> one new index version, made active atomically.

The build is handed to the configured store backend (index files or PostgreSQL), which
publishes it in one step: a crash at any point leaves the previous version whole and serving.
The index files admit one build at a time across processes (a lock file beside the link).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.chunks import Chunk
from index.concepts import ConceptMatcher
from index.embedder import Embedder
from index.manifest import FORMAT_VERSION, Manifest
from index.settings import Settings
from index.stores import Backend, Build
from index.stores.file_backend import BuildLocked, FileBackend
from index.vector_cache import EMBEDDINGS_FILE, embed_hash, read_vector_cache
from ingest.corpus import Study, load_corpus, make_chunks, markdown_files
from ingest.errors import IngestError
from ingest.graph_builder import build_graph
from ingest.triggers import trigger_counts
from ingest.unmatched import unmatched_terms
from ingest.vocabulary import VOCABULARY_FILE, VocabularyError, load_vocabulary


@dataclass
class IngestReport:
    """What an ingest built and how long it took."""

    location: str
    version: str
    manifest: Manifest
    embedded: int
    reused: int
    unmatched: list[tuple[str, int]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class BuildBusy(IngestError):
    """Another process holds the index files' build lock."""


_DEFAULT_LIMITS = {name: Settings.model_fields[name].default
                   for name in ("max_file_bytes", "max_chunks")}


@dataclass
class Hooks:
    """Callbacks a build reports to: ``stage`` gets one-line status updates, ``lexical`` the
    build before its vectors (chunks, graph, manifest: enough for keyword search), and
    ``embedded`` how many passages of how many have vectors so far."""

    stage: Callable[[str], None] = lambda _: None
    lexical: Callable[[Build], None] = lambda _: None
    embedded: Callable[[int, int], None] = lambda done, total: None


def ingest(content_dir: Path, target: Path | Backend, embedder: Embedder, progress: bool = True,
           on_stage: Callable[[str], None] | None = None, max_file_bytes: int | None = None,
           max_chunks: int | None = None, hooks: Hooks | None = None) -> IngestReport:
    """Build an index of ``content_dir`` and publish it to ``target`` (an index folder, or
    any store backend) as its new active version.

    The build is staged: content, chunks, concept tags and graph first (``hooks.lexical``
    receives them, without vectors), then the embeddings, then one publish.
    One build per index folder at a time (a lock file); a second one fails at once, saying so.
    ``progress`` draws a progress bar; ``on_stage`` receives one-line status updates.
    ``max_file_bytes`` and ``max_chunks`` default to the settings' defaults.
    """
    backend = FileBackend(target) if isinstance(target, Path) else target
    hooks = hooks or Hooks()
    if on_stage is not None:
        hooks = replace(hooks, stage=on_stage)
    try:
        with _build_lock(backend):
            return _build(content_dir, backend, embedder, progress, hooks,
                          max_file_bytes or _DEFAULT_LIMITS["max_file_bytes"],
                          max_chunks or _DEFAULT_LIMITS["max_chunks"])
    except BuildLocked as exc:
        raise BuildBusy(str(exc)) from exc


def _build_lock(backend: Backend) -> AbstractContextManager:
    """The index files' cross-process build lock (PostgreSQL publishes in one transaction)."""
    return backend.build_lock() if isinstance(backend, FileBackend) else nullcontext()


def _build(content_dir: Path, backend: Backend, embedder: Embedder, progress: bool,
           hooks: Hooks, max_file_bytes: int, max_chunks: int) -> IngestReport:
    """The build itself, with the lock held."""
    started = time.perf_counter()
    stage = hooks.stage
    stage("Reading the content folder.")
    if not content_dir.is_dir():
        raise IngestError(f"Content folder {content_dir} does not exist")
    try:
        concepts = load_vocabulary(content_dir / VOCABULARY_FILE)
    except VocabularyError as exc:
        raise IngestError(str(exc)) from exc
    matcher = ConceptMatcher(concepts)
    files, skipped = markdown_files(content_dir)
    if skipped:
        stage(f"Skipped links and special files: {', '.join(skipped)}.")
    studies = load_corpus(content_dir, files, max_file_bytes)
    if not studies:
        raise IngestError(f"No markdown files (*.md) under {content_dir}")
    declared = _declared_concepts(studies, matcher)
    chunks = [chunk for s in studies for f in s.files for chunk in make_chunks(s, f)]
    _check_chunk_count(chunks, max_chunks)
    for chunk in chunks:
        chunk.concepts = matcher.find(" ".join(chunk.heading_path) + "\n" + chunk.text)
    stage("Building the concept graph.")
    graph = build_graph(studies, chunks, concepts, declared, matcher)

    edges = Counter(d["kind"] for _, _, d in graph.edges(data=True))
    decisions = [r for _, d in graph.nodes(data=True) for r in d.get("decisions", [])]
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model_name=embedder.name,
        dimension=embedder.dimension,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=0.0,
        counts={"files": sum(len(s.files) for s in studies), "studies": len(studies),
                "chunks": len(chunks), "concepts": len(concepts), **dict(edges),
                **trigger_counts(decisions)},
        content_hashes={f.path: f.sha256 for s in studies for f in s.files},
        vocabulary_hash=_file_hash(content_dir / VOCABULARY_FILE),
    )
    no_vectors = np.zeros((0, embedder.dimension), dtype="float32")
    hooks.lexical(Build(replace(manifest), chunks, no_vectors, graph))
    vectors, reused = _embed(chunks, embedder, backend, content_dir / EMBEDDINGS_FILE, progress,
                             hooks)
    manifest.build_seconds = round(time.perf_counter() - started, 2)
    stage("Publishing the new index version.")
    build = Build(manifest, chunks, vectors, graph)
    files_backend = isinstance(backend, FileBackend)
    version = backend.publish(build, stage) if files_backend else backend.publish(build)
    unmatched = unmatched_terms(chunks, matcher)
    return IngestReport(backend.describe(), version, manifest, len(chunks) - reused, reused,
                        unmatched, skipped)


def _check_chunk_count(chunks: list[Chunk], max_chunks: int) -> None:
    """Refuse content that makes more passages than the limit, naming the largest files."""
    if len(chunks) <= max_chunks:
        return
    largest = Counter(c.path for c in chunks).most_common(3)
    raise IngestError(
        f"The content makes {len(chunks):,} passages; the limit is {max_chunks:,} "
        f"(CASEGRAPH_MAX_CHUNKS). Largest: "
        + ", ".join(f"{path} ({n:,})" for path, n in largest)
        + ". Split or trim those files, or raise the limit."
    )


def _declared_concepts(studies: list[Study], matcher: ConceptMatcher) -> dict[str, list[str]]:
    """Front-matter ``concepts`` resolved to ids; an unknown one is an error naming the file."""
    declared: dict[str, list[str]] = {}
    for study in studies:
        names = study.front_matter.get("concepts") or []
        if isinstance(names, str):
            names = [names]
        readme = next((f.path for f in study.files if f.chapter == "overview"), study.id)
        ids = []
        for name in names:
            concept = matcher.resolve(str(name))
            if concept is None:
                hint = matcher.suggest(str(name))
                raise IngestError(
                    f"{readme}: front-matter concept '{name}' matches no concept in "
                    f"{VOCABULARY_FILE}" + (f" (close: {', '.join(hint)})" if hint else "")
                    + ". Add it (or an alias) to the vocabulary or fix the spelling."
                )
            ids.append(concept.id)
        declared[study.id] = list(dict.fromkeys(ids))
    return declared


def _embed(chunks: list[Chunk], embedder: Embedder, backend: Backend, shipped: Path,
           progress: bool, hooks: Hooks) -> tuple[np.ndarray, int]:
    """Vectors for every chunk, reusing those of the current index and those shipped with the
    content (``embeddings.npz``) for unchanged texts."""
    texts = [c.embedding_text() for c in chunks]
    for chunk, text in zip(chunks, texts, strict=True):
        chunk.embed_hash = embed_hash(embedder.name, text)
    cache = backend.cached_vectors(embedder.name, embedder.dimension)
    if any(c.embed_hash not in cache for c in chunks):
        cache = {**read_vector_cache(shipped, embedder.name, embedder.dimension), **cache}
    missing = [i for i, c in enumerate(chunks) if c.embed_hash not in cache]
    vectors = np.zeros((len(chunks), embedder.dimension), dtype="float32")
    for i, c in enumerate(chunks):
        if c.embed_hash in cache:
            vectors[i] = cache[c.embed_hash]
    batch = 64
    reused = len(chunks) - len(missing)
    hooks.stage(f"Embedding {len(missing)} passage{'' if len(missing) == 1 else 's'} "
                f"({reused} unchanged reused).")
    hooks.embedded(reused, len(chunks))
    with tqdm(total=len(missing), desc="embedding", unit="chunk", disable=not progress) as bar:
        for start in range(0, len(missing), batch):
            rows = missing[start:start + batch]
            vectors[rows] = embedder.encode([texts[i] for i in rows])
            bar.update(len(rows))
            hooks.embedded(reused + start + len(rows), len(chunks))
    return vectors, reused


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
