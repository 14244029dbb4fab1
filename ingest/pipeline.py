"""``casegraph ingest``: content folder -> one index directory, swapped in atomically.

The index path is a symbolic link to a build folder beside it. A build is written to a
temporary folder, renamed into place, and only then is the link replaced (``os.replace``),
so a crash at any point leaves the previous index whole and serving.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.chunks import Chunk, read_chunks, write_chunks
from index.concepts import ConceptMatcher
from index.embedder import Embedder
from index.graph import write_graph
from index.lexical import LexicalIndex
from index.manifest import FORMAT_VERSION, IndexLoadError, Manifest
from index.vectors import FaissStore
from ingest.corpus import IngestError, Study, load_corpus, make_chunks
from ingest.graph_builder import build_graph
from ingest.triggers import trigger_counts
from ingest.unmatched import unmatched_terms
from ingest.vocabulary import VOCABULARY_FILE, VocabularyError, load_vocabulary


@dataclass
class IngestReport:
    """What an ingest built and how long it took."""

    index_path: Path
    manifest: Manifest
    embedded: int
    reused: int
    unmatched: list[tuple[str, int]] = field(default_factory=list)


def builds_root(index_dir: Path) -> Path:
    """Folder holding the build directories the index link points into."""
    return index_dir.parent / f".{index_dir.name}.builds"


def ingest(content_dir: Path, index_dir: Path, embedder: Embedder, progress: bool = True,
           on_stage: Callable[[str], None] | None = None) -> IngestReport:
    """Build an index of ``content_dir`` and make ``index_dir`` point at it.

    ``progress`` draws a progress bar; ``on_stage`` receives one-line status updates.
    """
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
    vectors, reused = _embed(chunks, embedder, index_dir, progress, stage)
    stage("Building the concept graph and the BM25 index.")
    graph = build_graph(studies, chunks, concepts, declared, matcher)
    lexical = LexicalIndex.build([c.embedding_text() for c in chunks])

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
    root = builds_root(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f"tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        write_chunks(tmp, chunks)
        FaissStore.build(vectors).write(tmp)
        lexical.write(tmp)
        write_graph(tmp, graph)
        manifest.build_seconds = round(time.perf_counter() - started, 2)
        manifest.write(tmp)
        final = root / f"build-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _swap_link(index_dir, final)
    _remove_old_builds(root, keep=final)
    unmatched = unmatched_terms(chunks, matcher)
    return IngestReport(index_dir, manifest, len(chunks) - reused, reused, unmatched)


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


def _embed(chunks: list[Chunk], embedder: Embedder, index_dir: Path, progress: bool,
           stage: Callable[[str], None]) -> tuple[np.ndarray, int]:
    """Vectors for every chunk, reusing those of the current index for unchanged texts."""
    texts = [c.embedding_text() for c in chunks]
    for chunk, text in zip(chunks, texts, strict=True):
        chunk.embed_hash = hashlib.sha256(f"{embedder.name}\n{text}".encode()).hexdigest()[:24]
    cache = _cached_vectors(index_dir, embedder)
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


def _cached_vectors(index_dir: Path, embedder: Embedder) -> dict[str, np.ndarray]:
    """embed_hash -> vector from the current index, if it exists and used the same model."""
    try:
        Manifest.read(index_dir).check_compatible(embedder.name, embedder.dimension)
        old_chunks = read_chunks(index_dir)
        old_vectors = FaissStore.read(index_dir).vectors()
    except (IndexLoadError, OSError, ValueError, RuntimeError):
        return {}
    if len(old_chunks) != len(old_vectors):
        return {}
    return {c.embed_hash: v for c, v in zip(old_chunks, old_vectors, strict=True) if c.embed_hash}


def _swap_link(index_dir: Path, target: Path) -> None:
    """Point ``index_dir`` at ``target`` atomically; a plain directory there is moved aside."""
    if index_dir.exists() and not index_dir.is_symlink():
        index_dir.rename(builds_root(index_dir) / f"previous-{uuid.uuid4().hex[:6]}")
    link = index_dir.parent / f".{index_dir.name}.link-{uuid.uuid4().hex[:6]}"
    os.symlink(os.path.relpath(target, index_dir.parent), link)
    os.replace(link, index_dir)


def _remove_old_builds(root: Path, keep: Path, stale_tmp_s: float = 3600) -> None:
    """Drop superseded builds, and temporary folders of ingests that died over an hour ago."""
    now = time.time()
    for old in root.iterdir():
        if old == keep or not old.is_dir():
            continue
        if not old.name.startswith("tmp-") or now - old.stat().st_mtime > stale_tmp_s:
            shutil.rmtree(old, ignore_errors=True)


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
