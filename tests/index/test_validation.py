"""Every artifact is checked on load: one clear error naming the bad file, no absolute paths."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.lookups import concept_detail
from index.manifest import IndexLoadError
from index.store import Index
from index.stores.file_backend import FileBackend
from index.vectors import FaissStore
from tests.conftest import reseal


@pytest.fixture
def build(tmp_path: Path, fixture_settings, fixture_index) -> Path:
    """A private copy of the fixture index's build folder."""
    target = tmp_path / "build"
    shutil.copytree(os.path.realpath(fixture_settings.index_dir), target)
    return target


def _refused(build: Path, embedder, *fragments: str) -> str:
    with pytest.raises(IndexLoadError) as err:
        Index(FileBackend(build).open(), embedder)
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, message
    assert str(build.parent) not in message and "casegraph ingest" in message
    return message


def test_the_untouched_copy_loads(build, embedder):
    assert Index(FileBackend(build).open(), embedder).chunks


def test_a_file_changed_after_the_build_fails_its_checksum(build, embedder):
    original = (build / "chunks.jsonl").read_bytes()
    (build / "chunks.jsonl").write_bytes(original + b"\n")
    _refused(build, embedder, "chunks.jsonl", "checksum")
    (build / "chunks.jsonl").write_bytes(original)
    (build / "graph.json").unlink()
    _refused(build, embedder, "graph.json is missing")


def test_look_ups_read_and_check_only_the_chunks_and_the_graph(build, embedder):
    (build / "vectors.faiss").write_bytes(b"not faiss")  # searching needs it, look-ups do not
    index = Index(FileBackend(build).open(search=False), embedder)
    assert concept_detail(index, "geohash")["studies"][0]["evidence"]
    with pytest.raises(RuntimeError, match="opened for look-ups only"):
        index.search("geohash cells", mode="bm25")
    _refused(build, embedder, "vectors.faiss does not match the checksum")
    (build / "graph.json").write_text("[1, 2, 3]")  # the graph is still checked
    with pytest.raises(IndexLoadError, match=r"graph\.json does not match the checksum"):
        FileBackend(build).open(search=False)


def test_graph_that_is_not_a_graph(build, embedder):
    (build / "graph.json").write_text("[1, 2, 3]")
    reseal(build)
    _refused(build, embedder, "graph.json cannot be read")


def test_empty_graph_disagrees_with_the_manifest(build, embedder):
    (build / "graph.json").write_text(json.dumps(
        {"directed": True, "multigraph": True, "graph": {}, "nodes": [], "edges": []}))
    reseal(build)
    _refused(build, embedder, "graph.json has 0 studies, the manifest says 4")


def test_faiss_of_another_dimension_or_row_count(build, embedder, fixture_index):
    n = len(fixture_index.chunks)
    FaissStore.build(np.eye(n, 8, dtype="float32")).write(build)
    reseal(build)
    _refused(build, embedder, "vectors.faiss holds 8-dimensional vectors, the manifest says 384")
    FaissStore.build(fixture_index.store.vectors()[:-1]).write(build)
    reseal(build)
    _refused(build, embedder, f"vectors.faiss holds {n - 1} vectors for {n} chunks")


def test_empty_bm25_vocabulary(build, embedder):
    (build / "bm25" / "vocab.index.json").write_text("{}")
    reseal(build)
    _refused(build, embedder, "bm25 has an empty vocabulary")


def test_chunk_count_against_the_manifest(build, embedder):
    lines = (build / "chunks.jsonl").read_text().splitlines()
    (build / "chunks.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    reseal(build)
    _refused(build, embedder, f"chunks.jsonl has {len(lines) - 1} chunks, the manifest says "
                              f"{len(lines)}")


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("dimension", "384", "'dimension' must be an integer, not \"384\""),
    ("counts", [1], "'counts' must be an object"),
    ("checksums", {}, "records no file checksums"),
    ("model_name", None, "'model_name' must be a string"),
])
def test_manifest_fields_of_the_wrong_type_get_a_coherent_message(build, embedder, field, value,
                                                                   fragment):
    path = build / "manifest.json"
    data = json.loads(path.read_text())
    data[field] = value
    path.write_text(json.dumps(data))
    message = _refused(build, embedder, fragment)
    assert "dimension 384)" not in message  # no "384 vs 384" contradiction
