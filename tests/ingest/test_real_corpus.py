"""Smoke test: ingest the real content/ folder (skipped when the repository has none)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.answer import AnswerEngine
from api.loader import load_index
from index.settings import Settings
from index.vector_cache import EMBEDDINGS_FILE
from ingest.pipeline import IngestReport, ingest
from tests.conftest import REPO, make_settings

CONTENT = REPO / "content"
pytestmark = pytest.mark.skipif(not (CONTENT / "case-studies").is_dir(),
                                reason="no content/case-studies in this checkout")


@pytest.fixture(scope="module")
def real_build(tmp_path_factory, embedder) -> tuple[IngestReport, Path]:
    index_dir = tmp_path_factory.mktemp("real") / "index"
    report = ingest(CONTENT, index_dir, embedder, progress=False)
    assert report.manifest.counts["chunks"] > 0
    return report, index_dir


@pytest.fixture(scope="module")
def real_index(real_build):
    return load_index(make_settings(CONTENT, real_build[1]))


def test_shipped_embeddings_cover_the_corpus(real_build):
    """A fresh clone's first build embeds nothing: content/embeddings.npz has every passage
    (after editing content, refresh it with `casegraph ingest content --save-embeddings`)."""
    report, _ = real_build
    assert report.embedded == 0, f"{report.embedded} passages are missing from {EMBEDDINGS_FILE}"
    assert report.reused == report.manifest.counts["chunks"]


def test_every_study_has_its_chapters_and_declared_concepts(real_index):
    for study in real_index.graph.studies():
        chapters = {d["chapter"] for d in real_index.graph.documents(study["id"])}
        assert {"overview", "requirements", "architecture", "key-decisions",
                "wrap-up"} <= chapters, study["id"]
        assert 5 <= len(study["declared"]) <= 12, study["id"]


def test_chunks_respect_the_size_budget(real_index):
    sizes = [c.words for c in real_index.chunks]
    oversized = [c.id for c in real_index.chunks if c.words > 350 + 12 and "```" not in c.text
                 and "|" not in c.text and "\n- " not in c.text]
    assert not oversized, oversized[:5]
    assert sorted(sizes)[len(sizes) // 2] >= 80


def test_consistent_hashing_links_several_studies(real_index):
    studies = real_index.graph.studies_using("consistent-hashing")
    assert len({r["study"] for r in studies if r["mentions"] >= 1}) >= 2


def test_decisions_become_alternative_edges(real_index):
    alternatives = [d for _, _, d in real_index.graph.g.edges(data=True)
                    if d["kind"] == "alternative_to"]
    assert len(alternatives) >= 10
    assert all(rec["reconsider"] for d in alternatives for rec in d["decisions"])


def test_answers_cite_real_passages(real_index):
    engine = AnswerEngine(Settings(content_dir=CONTENT))
    answer = engine.answer(real_index, "How do you shard keys across cache nodes?")
    assert answer.grounded and answer.citations
    for c in answer.citations:
        assert c.quote in real_index.chunk(c.chunk_id).text
    assert not engine.answer(real_index, "What is a good recipe for banana bread?").grounded
