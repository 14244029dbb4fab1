"""The UI's text fragments: in-app links, snippets, answers (no browser)."""

from __future__ import annotations

from api.answer_types import Answer, Citation
from ui import render

DOCS = {"case-studies/kv-cache/README.md": "kv-cache"}


def test_relink_points_studies_in_app_and_other_files_at_raw_sources() -> None:
    text = ("See [cache](../kv-cache/README.md), [notes](../../notes/a.md), [web](https://x.y) "
            "and [gone](../../../etc/passwd).")
    out = render.relink(text, "case-studies/chat-relay/README.md", DOCS)
    assert "[cache](#cg-doc=case-studies%2Fkv-cache%2FREADME.md)" in out
    assert "[notes](/sources/notes/a.md)" in out
    assert "[web](https://x.y)" in out and "and gone." in out


def test_plain_drops_markdown_syntax_and_demote_leaves_code_alone() -> None:
    md = "# Title\n## Part\n**Why:** a [link](x.md)\n| a | b |\n|---|---|\n| 1 | 2 |\n```py\n# c\n```"
    assert render.plain(md) == "Why: a link a · b 1 · 2"
    assert render.demote("# A\n```\n# c\n```") == "#### A\n```\n# c\n```"


def test_answer_markdown_links_markers_and_sources_or_marks_not_covered() -> None:
    cite = Citation(1, "kv#1", "case-studies/kv-cache/README.md", 3, 9, "kv-cache", "A > B", "q")
    md = render.answer_markdown(Answer("Rings move few keys [1]. Not [7].", [cite], True, "extractive"))
    assert "[\\[1\\]](#cg-cite=kv%231)" in md and "Not [7]." in md
    assert "- [\\[1\\] kv-cache · B (lines 3-9)](#cg-cite=kv%231)" in md
    declined = render.answer_markdown(Answer("No.", [], False, "extractive"))
    assert declined.startswith("⚠️ **Not covered by the case studies.**")


def test_search_cards_show_cosine_keyword_match_and_weak_marks() -> None:
    base = {"chunk_id": "a#1", "score": 0.99, "path": "case-studies/a/README.md",
            "start_line": 1, "end_line": 4, "study": "a", "study_title": "A", "chapter": "overview",
            "heading": "A > B", "text": "Consistent hashing spreads keys.", "concepts": []}
    strong = {**base, "cosine": 0.612, "bm25": 4.2, "keyword": 0.67, "weak": False}
    weak = {**base, "cosine": 0.12, "bm25": None, "keyword": 0.0, "weak": True}
    page = render.results_html([strong, weak], "consistent hashing",
                               notice="Keyword results while the semantic index builds.")
    assert "cosine 0.61 · keyword match 67%" in page and "score 0.99" not in page
    assert "cosine 0.12 · no keyword match" in page
    assert page.count("weak match</span>") == 1 and page.startswith("<p class='cg-notice'>")
