"""Ingest against hostile or oversized content and concurrent builds."""

from __future__ import annotations

import os

import pytest

from api.loader import load_index
from index.stores.file_backend import FileBackend
from ingest.errors import IngestError
from ingest.markdown import FrontMatterError, parse_markdown
from ingest.pipeline import ingest
from tests.conftest import build_lock_held, copy_corpus, make_settings

ALIAS_BOMB = """---
a0: &a0 [x, x, x]
a1: &a1 [*a0, *a0, *a0]
a2: &a2 [*a1, *a1, *a1]
category: *a2
---
# Title
"""


def test_symlinks_out_of_the_content_folder_are_skipped_and_reported(tmp_path, embedder):
    content = copy_corpus(tmp_path)
    secret = tmp_path / "passwd.md"
    secret.write_text("root:x:0:0:root daemon nologin:/root:/bin/bash\n")
    study = content / "case-studies" / "chat-relay"
    (study / "leak.md").symlink_to(secret)
    (study / "loop.md").symlink_to(study / "loop.md")
    os.mkfifo(study / "pipe.md")
    report = ingest(content, tmp_path / "index", embedder, progress=False)
    assert report.skipped == ["case-studies/chat-relay/leak.md",
                              "case-studies/chat-relay/loop.md",
                              "case-studies/chat-relay/pipe.md"]
    index = load_index(make_settings(content, tmp_path / "index"))
    assert not any("nologin" in c.text for c in index.chunks)
    assert not any("leak" in path for path in index.manifest.content_hashes)


def test_yaml_aliases_in_front_matter_are_refused_naming_the_file(tmp_path, embedder):
    content = copy_corpus(tmp_path)
    (content / "case-studies" / "geo-finder" / "README.md").write_text(ALIAS_BOMB)
    with pytest.raises(IngestError, match=r"case-studies/geo-finder/README.md: YAML aliases"):
        ingest(content, tmp_path / "index", embedder, progress=False)


@pytest.mark.parametrize(("front", "fragment"), [
    ("title: " + "x" * 3000, "'title' is 3,000 characters"),
    ("concepts: [" + ", ".join(["a"] * 300) + "]", "'concepts' has 300 items"),
    ("notes: |\n" + "  line of text\n" * 2000, "front matter is"),
])
def test_front_matter_fields_are_capped(front, fragment):
    with pytest.raises(FrontMatterError, match=fragment):
        parse_markdown(f"---\n{front}\n---\n# T\n")


def test_a_file_over_the_size_limit_is_an_error_naming_it(tmp_path, embedder):
    content = copy_corpus(tmp_path)
    big = content / "case-studies" / "kv-cache" / "02-architecture.md"
    with pytest.raises(IngestError, match=r"kv-cache/02-architecture.md: [\d,]+ bytes .*"
                                          r"CASEGRAPH_MAX_FILE_BYTES"):
        ingest(content, tmp_path / "index", embedder, progress=False,
               max_file_bytes=big.stat().st_size - 1)


def test_too_many_chunks_is_an_error_naming_the_largest_files(tmp_path, embedder):
    with pytest.raises(IngestError, match=r"passages; the limit is 5 \(CASEGRAPH_MAX_CHUNKS\)"):
        ingest(copy_corpus(tmp_path), tmp_path / "index", embedder, progress=False, max_chunks=5)
    assert not (tmp_path / ".index.builds").exists() or not any(
        (tmp_path / ".index.builds").iterdir())


def test_a_build_refuses_to_start_while_another_process_holds_the_lock(tmp_path, embedder):
    content = copy_corpus(tmp_path)
    index_dir = tmp_path / "index"
    with build_lock_held(index_dir) as release:
        with pytest.raises(IngestError, match="Another build of the index index is running"):
            ingest(content, index_dir, embedder, progress=False)
        release()
        ingest(content, index_dir, embedder, progress=False)  # the lock dies with its holder
    assert load_index(make_settings(content, index_dir)).chunks


def test_leftovers_are_cleaned_and_the_live_build_never_removed(tmp_path, embedder):
    content = copy_corpus(tmp_path)
    index_dir = tmp_path / "index"
    ingest(content, index_dir, embedder, progress=False)
    root = FileBackend(index_dir).builds_root
    live = os.path.realpath(index_dir)
    (root / "tmp-deadbeef").mkdir()
    (root / "tmp-deadbeef" / "chunks.jsonl").write_text("{}")
    os.symlink(live, tmp_path / ".index.link-abc123")
    (content / "case-studies" / "geo-finder" / "README.md").write_text("# Geo\n\nChanged.\n")
    with pytest.raises(IngestError):  # a failed build cleans up but keeps the live one
        ingest(content, index_dir, embedder, progress=False, max_chunks=1)
    assert os.path.realpath(index_dir) == live and os.path.isdir(live)
    assert sorted(p.name for p in root.iterdir()) == [os.path.basename(live)]
    assert not list(tmp_path.glob(".index.link-*"))
    ingest(content, index_dir, embedder, progress=False)
    assert [p.name for p in root.iterdir()] == [os.path.basename(os.path.realpath(index_dir))]
    assert any("Changed." in c.text for c in load_index(make_settings(content, index_dir)).chunks)
