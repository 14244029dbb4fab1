"""Ingest end to end on the fixture corpus: errors, atomic swap, incremental embedding."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from api.loader import load_index
from index.manifest import IndexLoadError, Manifest
from index.stores import files
from index.stores.file_backend import FileBackend
from index.vector_cache import EMBEDDINGS_FILE, read_vector_cache, write_vector_cache
from ingest.errors import IngestError
from ingest.pipeline import ingest
from tests.conftest import copy_corpus, make_settings


def test_unknown_front_matter_concept_names_file_and_concept(tmp_path, embedder):
    content = copy_corpus(tmp_path)
    readme = content / "case-studies/kv-cache/README.md"
    readme.write_text(readme.read_text().replace("replication]", "replication, hyperdrive]"))
    with pytest.raises(IngestError) as err:
        ingest(content, tmp_path / "index", embedder, progress=False)
    assert "case-studies/kv-cache/README.md" in str(err.value)
    assert "hyperdrive" in str(err.value)


def test_empty_or_missing_content_folder_is_an_error(tmp_path, embedder):
    with pytest.raises(IngestError, match="does not exist"):
        ingest(tmp_path / "nope", tmp_path / "index", embedder, progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(IngestError, match="No markdown"):
        ingest(tmp_path / "empty", tmp_path / "index", embedder, progress=False)


def test_incremental_reingest_embeds_only_changed_chunks(tmp_path, embedder):
    content = copy_corpus(tmp_path)
    index_dir = tmp_path / "index"
    first = ingest(content, index_dir, embedder, progress=False)
    assert first.reused == 0 and first.embedded == first.manifest.counts["chunks"]
    again = ingest(content, index_dir, embedder, progress=False)
    assert again.embedded == 0
    path = content / "case-studies/geo-finder/README.md"
    path.write_text(path.read_text().replace("two minutes", "three minutes"))
    edited = ingest(content, index_dir, embedder, progress=False)
    assert edited.embedded == 1
    assert edited.reused == edited.manifest.counts["chunks"] - 1
    index = load_index(make_settings(content, index_dir))
    assert any("three minutes" in c.text for c in index.chunks)


def test_crash_mid_ingest_leaves_previous_index_serving(tmp_path, embedder, monkeypatch):
    content = copy_corpus(tmp_path)
    index_dir = tmp_path / "index"
    ingest(content, index_dir, embedder, progress=False)
    before = Manifest.read(index_dir).built_at, sorted(p.name for p in index_dir.iterdir())
    (content / "case-studies/geo-finder/README.md").write_text("# Geo Finder\n\nReplaced.\n")

    def explode(*args, **kwargs):
        raise KeyboardInterrupt("power cut while writing the graph")

    monkeypatch.setattr(files, "write_graph", explode)
    with pytest.raises(KeyboardInterrupt):
        ingest(content, index_dir, embedder, progress=False)
    assert (Manifest.read(index_dir).built_at, sorted(p.name for p in index_dir.iterdir())) == before
    index = load_index(make_settings(content, index_dir))
    assert not any("Replaced." in c.text for c in index.chunks)
    leftovers = [p.name for p in FileBackend(index_dir).builds_root.iterdir()]
    assert len(leftovers) == 1, leftovers


def test_mismatched_model_or_format_or_corrupt_index_is_refused(tmp_path, embedder):
    content = copy_corpus(tmp_path)
    index_dir = tmp_path / "index"
    ingest(content, index_dir, embedder, progress=False)
    manifest_path = Path(index_dir) / "manifest.json"
    original = manifest_path.read_text()

    data = json.loads(original)
    data["model_name"] = "some-other-model"
    manifest_path.write_text(json.dumps(data))
    with pytest.raises(IndexLoadError, match=r"some-other-model.*Re-ingest"):
        load_index(make_settings(content, index_dir))

    data = json.loads(original)
    data["format_version"] = 99
    manifest_path.write_text(json.dumps(data))
    with pytest.raises(IndexLoadError, match=r"format version 99.*Re-ingest"):
        load_index(make_settings(content, index_dir))

    manifest_path.write_text(original)
    (Path(index_dir) / "vectors.faiss").write_bytes(b"not a faiss index")
    with pytest.raises(IndexLoadError, match=r"vectors.faiss does not match.*casegraph ingest"):
        load_index(make_settings(content, index_dir))

    manifest_path.write_text("{ truncated")
    with pytest.raises(IndexLoadError, match=r"manifest\.json is not readable JSON"):
        load_index(make_settings(content, index_dir))


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexLoadError, match="casegraph ingest"):
        load_index(make_settings(tmp_path, tmp_path / "none"))


def test_any_markdown_folder_ingests(tmp_path, embedder):
    content = tmp_path / "docs"
    (content / "guides" / "deep" / "er").mkdir(parents=True)
    (content / "guides" / "deep" / "er" / "x.md").write_text(
        "#### Odd start\n\nSome words about replicas and failover that matter.\n")
    (content / "top.md").write_text("No heading at all, just a line of prose here.\n")
    report = ingest(content, tmp_path / "index", embedder, progress=False)
    index = load_index(make_settings(content, tmp_path / "index"))
    assert report.manifest.counts["studies"] == 2
    by_path = {c.path: c for c in index.chunks}
    assert by_path["guides/deep/er/x.md"].study == "guides"
    assert by_path["top.md"].study == "top"
    assert by_path["top.md"].chapter == "top"


def test_ingest_reports_its_stages(tmp_path, embedder):
    stages: list[str] = []
    ingest(copy_corpus(tmp_path), tmp_path / "index", embedder, progress=False,
           on_stage=stages.append)
    assert stages[0] == "Reading the content folder."
    assert any(re.fullmatch(r"Embedding \d+ passages \(0 unchanged reused\)\.", s) for s in stages)
    assert "Building the concept graph." in stages
    assert "Publishing the new index version." in stages
    assert stages[-1] == "Removing superseded builds."


def test_shipped_embeddings_spare_a_fresh_build_its_embedding(tmp_path, embedder):
    content = copy_corpus(tmp_path)
    first = ingest(content, tmp_path / "first", embedder, progress=False)
    cached = FileBackend(tmp_path / "first").cached_vectors(embedder.name,
                                                                  embedder.dimension)
    assert write_vector_cache(content / EMBEDDINGS_FILE, embedder.name, cached) == len(cached)

    fresh = ingest(content, tmp_path / "fresh", embedder, progress=False)
    assert fresh.embedded == 0 and fresh.reused == first.manifest.counts["chunks"]
    assert load_index(make_settings(content, tmp_path / "fresh")).search("hash ring")

    readme = content / "case-studies/kv-cache/README.md"
    readme.write_text(readme.read_text() + "\n\nA new closing paragraph about eviction.\n")
    edited = ingest(content, tmp_path / "edited", embedder, progress=False)
    assert 0 < edited.embedded < 4


def test_unusable_shipped_embeddings_are_ignored(tmp_path, embedder):
    content = copy_corpus(tmp_path)
    (content / EMBEDDINGS_FILE).write_bytes(b"not a zip file")
    report = ingest(content, tmp_path / "index", embedder, progress=False)
    assert report.embedded == report.manifest.counts["chunks"]
    write_vector_cache(content / EMBEDDINGS_FILE, "another-model",
                       {"abc": np.ones(embedder.dimension, dtype="float32")})
    assert read_vector_cache(content / EMBEDDINGS_FILE, embedder.name, embedder.dimension) == {}
