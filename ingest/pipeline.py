"""``casegraph ingest``: content folder -> one new index version, made active atomically.

The build is handed to the configured store backend (index files or PostgreSQL), which
publishes it in one step: a crash at any point leaves the previous version whole and serving.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.chunks import Chunk
from index.concepts import ConceptMatcher
from index.embedder import Embedder
from index.manifest import FORMAT_VERSION, Manifest
from index.stores import Backend, Build
from index.stores.files import FileBackend
from ingest.corpus import IngestError, Study, load_corpus, make_chunks
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


def ingest(content_dir: Path, target: Path | Backend, embedder: Embedder, progress: bool = True,
           on_stage: Callable[[str], None] | None = None) -> IngestReport:
    """Build an index of ``content_dir`` and publish it to ``target`` (an index folder, or
    any store backend) as its new active version.

    ``progress`` draws a progress bar; ``on_stage`` receives one-line status updates.
    """
    backend = FileBackend(target) if isinstance(target, Path) else target
    started = time.perf_counter()
    stage = on_stage or (lambda _: None)
    stage("Reading the content folder.")
    if not content_dir.is_dir():
        raise IngestError(f"Content folder {content_dir} does not exist")
    try:
        concepts = load_vocabulary(content_dir / VOCABULARY_FILE)
    except VocabularyError as exc:
        raise IngestError(str(exc)) from exc
    matcher = ConceptMatcher(concepts)
    studies = load_corpus(content_dir)
    if not studies:
        raise IngestError(f"No markdown files (*.md) under {content_dir}")
    declared = _declared_concepts(studies, matcher)
    chunks = [chunk for s in studies for f in s.files for chunk in make_chunks(s, f)]
    for chunk in chunks:
        chunk.concepts = matcher.find(" ".join(chunk.heading_path) + "\n" + chunk.text)
    vectors, reused = _embed(chunks, embedder, backend, progress, stage)
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
    manifest.build_seconds = round(time.perf_counter() - started, 2)
    stage("Publishing the new index version.")
    version = backend.publish(Build(manifest, chunks, vectors, graph))
    unmatched = unmatched_terms(chunks, matcher)
    return IngestReport(backend.describe(), version, manifest, len(chunks) - reused, reused,
                        unmatched)


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


def _embed(chunks: list[Chunk], embedder: Embedder, backend: Backend, progress: bool,
           stage: Callable[[str], None]) -> tuple[np.ndarray, int]:
    """Vectors for every chunk, reusing those of the current index for unchanged texts."""
    texts = [c.embedding_text() for c in chunks]
    for chunk, text in zip(chunks, texts, strict=True):
        chunk.embed_hash = hashlib.sha256(f"{embedder.name}\n{text}".encode()).hexdigest()[:24]
    cache = backend.cached_vectors(embedder.name, embedder.dimension)
    missing = [i for i, c in enumerate(chunks) if c.embed_hash not in cache]
    vectors = np.zeros((len(chunks), embedder.dimension), dtype="float32")
    for i, c in enumerate(chunks):
        if c.embed_hash in cache:
            vectors[i] = cache[c.embed_hash]
    batch = 64
    with tqdm(total=len(missing), desc="embedding", unit="chunk", disable=not progress) as bar:
        for start in range(0, len(missing), batch):
            rows = missing[start:start + batch]
            stage(f"Embedding passages: {start}/{len(missing)} done.")
            vectors[rows] = embedder.encode([texts[i] for i in rows])
            bar.update(len(rows))
    return vectors, len(chunks) - len(missing)


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
