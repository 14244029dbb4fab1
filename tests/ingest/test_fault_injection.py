"""kill -9 a real ingest process at every stage of a build: an index always loads and serves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from index.store import Index
from index.stores.file_backend import FileBackend
from ingest.pipeline import ingest
from tests.conftest import copy_corpus

STAGES = [
    "Reading the content folder.",
    "Building the concept graph.",
    "Embedding 1 passage (15 unchanged reused).",  # the edited file's changed chunk
    "Publishing the new index version.",
    "Writing the new build.",
    "Sealing the new build.",
    "Linking the new build.",
    "Swapping the index link.",  # the new link exists beside the index; the swap is next
    "Removing superseded builds.",
]

CHILD = """
import os, signal, sys
from pathlib import Path
from index.embedder import load_embedder
from index.settings import Settings
from ingest.pipeline import ingest

content, index_dir, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
settings = Settings()
embedder = load_embedder(settings.model_path, settings.model_name)
calls = 0

def on_stage(message):
    global calls
    calls += 1
    print(message, flush=True)
    if calls == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

ingest(content, index_dir, embedder, progress=False, on_stage=on_stage)
"""


@pytest.fixture(scope="module")
def killed_builds(tmp_path_factory, embedder):
    """Build once, then for each stage: edit a file and run an ingest killed at that stage."""
    root = tmp_path_factory.mktemp("faults")
    content = copy_corpus(root)
    index_dir = root / "index"
    ingest(content, index_dir, embedder, progress=False)
    readme = content / "case-studies" / "geo-finder" / "README.md"
    outcomes = {}
    for n, stage in enumerate(STAGES, start=1):
        live_before = os.path.realpath(index_dir)
        readme.write_text(readme.read_text().replace("two minutes", f"two minutes (edit {n})", 1)
                          .replace(f"(edit {n - 1})", ""))
        child = subprocess.run([sys.executable, "-c", CHILD, str(content), str(index_dir), str(n)],
                               capture_output=True, text=True, timeout=300)
        printed = child.stdout.strip().splitlines()
        index = Index(FileBackend(index_dir).open(), embedder)
        outcomes[stage] = {
            "returncode": child.returncode, "last": printed[-1] if printed else child.stderr,
            "moved": os.path.realpath(index_dir) != live_before,
            "edit": any(f"(edit {n})" in c.text for c in index.chunks),
            "hits": len(index.search("nearest scooters within a radius", k=3)),
        }
    return content, index_dir, outcomes


@pytest.mark.parametrize("stage", STAGES)
def test_a_build_killed_at_each_stage_leaves_an_index_that_loads_and_serves(killed_builds, stage):
    outcome = killed_builds[2][stage]
    assert outcome["returncode"] == -signal.SIGKILL and outcome["last"] == stage
    assert outcome["hits"] == 3
    swapped = stage == "Removing superseded builds."
    assert outcome["moved"] is swapped and outcome["edit"] is swapped


def test_the_next_build_clears_what_killed_builds_left(killed_builds, embedder):
    content, index_dir, _ = killed_builds
    root = FileBackend(index_dir).builds_root
    assert len(list(root.iterdir())) > 1 or list(index_dir.parent.glob(".index.link-*"))
    ingest(content, index_dir, embedder, progress=False)
    assert [p.name for p in root.iterdir()] == [Path(os.path.realpath(index_dir)).name]
    assert not list(index_dir.parent.glob(".index.link-*"))
    assert Index(FileBackend(index_dir).open(), embedder).search("geohash", k=1)
