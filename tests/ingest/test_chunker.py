"""Chunker invariants on the fixture corpus and on synthetic markdown."""

import itertools
from pathlib import Path

import pytest

from ingest.chunker import MAX_WORDS, chunk_document
from ingest.corpus import load_corpus, make_chunks
from ingest.markdown import parse_markdown
from tests.conftest import FIXTURE_CORPUS

FILES = sorted(FIXTURE_CORPUS.rglob("*.md"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_body_line_lands_in_exactly_one_chunk(path: Path):
    doc = parse_markdown(path.read_text())
    spans = chunk_document(doc)
    owners = [0] * len(doc.lines)
    for span in spans:
        for i in range(span.start, span.end):
            owners[i] += 1
    for i, line in enumerate(doc.lines):
        if line.strip():
            assert owners[i] == 1, f"line {i + 1} of {path.name} in {owners[i]} chunks: {line!r}"


def test_spans_are_in_order_and_do_not_overlap():
    doc = parse_markdown((FIXTURE_CORPUS / "notes/misc/odd.md").read_text())
    spans = chunk_document(doc)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


def test_chunk_text_maps_back_to_its_line_span():
    for study in load_corpus(FIXTURE_CORPUS):
        for source in study.files:
            lines = (FIXTURE_CORPUS / source.path).read_text().split("\n")
            for chunk in make_chunks(study, source):
                assert "\n".join(lines[chunk.start_line - 1:chunk.end_line]) == chunk.text


def test_code_block_is_never_split_and_long_section_is():
    doc = parse_markdown((FIXTURE_CORPUS / "notes/misc/odd.md").read_text())
    spans = chunk_document(doc)
    texts = ["\n".join(doc.lines[s.start:s.end]) for s in spans]
    with_fence = [t for t in texts if "```" in t]
    assert len(with_fence) == 1 and with_fence[0].count("```") == 2
    assert "step_59" in with_fence[0] and "step_1 " in with_fence[0]
    pipeline = [s for s in spans if s.heading_path[-1:] == ["A long section about pipelines"]]
    assert len(pipeline) >= 2, "a section over the word limit splits on paragraphs"
    assert all(s.words <= MAX_WORDS for s in pipeline)


def test_small_sections_merge_within_their_parent_and_stubs_fold_forward():
    para = "a sentence of prose with enough words to be more than a stub here."
    text = f"# Title\n\n## A\n\n{para}\n\n### A1\n\n{para}\n\n## B\n\n{para}\n"
    spans = chunk_document(parse_markdown(text))
    assert [s.heading_path for s in spans] == [["Title", "A"], ["Title", "B"]]
    assert spans[0].start == 0, "the lone H1 folds into the next chunk"


def test_long_list_splits_between_items():
    items = "\n".join(f"- item {i} " + "word " * 60 for i in range(10))
    spans = chunk_document(parse_markdown("## List\n\n" + items + "\n"))
    assert len(spans) > 1
    assert all(s.words <= MAX_WORDS for s in spans)
