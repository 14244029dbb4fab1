"""Structured evidence from the corpus's fixed shape: decision records and table rows.

Every piece keeps the chunk it comes from and a verbatim span of that chunk's text, so a
composer can cite it. Chunks are found through ``Index.search`` with study and chapter
filters, then placed by their source lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from api import hygiene
from index.chunks import Chunk
from index.lexical import tokenize
from index.store import Index
from index.text import Sentence

DECISIONS_CHAPTER = "key-decisions"
LABELS = ("context", "decision", "why", "trade-off", "when to reconsider")
_LABEL = re.compile(r"^\s*\*\*([A-Za-z][A-Za-z -]*?):?\*\*:?")
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}")
_SECTION_CHUNKS = 50
# Words of how a question is asked, not of what it asks about.
QUESTION_WORDS = ("how does do did is are was were what when where why which who whom whose "
                  "can could would should will shall may might must over under after before "
                  "during if there their its it they this that these those about use used")


@dataclass
class Row:
    """One markdown table row: its verbatim line, its cells and the table's header cells."""

    chunk: Chunk
    raw: str
    cells: list[str]
    header: list[str]
    section: str


@dataclass
class Piece:
    """A quotable sentence and the chunk it belongs to."""

    chunk: Chunk
    sentence: Sentence


@dataclass
class DecisionRecord:
    """One ``## A vs B`` decision of a study with its labelled sentences."""

    study: str
    heading: str
    options: list[str]
    parts: dict[str, list[Piece]] = field(default_factory=dict)


def file_chunks(index: Index, query: str, study: str, chapter: str) -> list[Chunk]:
    """Every chunk of one chapter of one study, in source order."""
    if chapter not in index.chapters or study not in index.study_ids:
        return []
    hits = index.search(query, k=_SECTION_CHUNKS, study=study, chapter=chapter)
    return sorted((h.chunk for h in hits), key=lambda c: (c.path, c.start_line))


def _line_of(chunk: Chunk, offset: int) -> int:
    return chunk.start_line + chunk.text.count("\n", 0, offset)


def heading_before(chunk: Chunk, offset: int) -> str:
    """The last heading or bold-only label line above ``offset`` in the chunk, else the
    chunk's own heading."""
    found = [m.group(1) or m.group(2) for m in re.finditer(
        r"^#{1,6}\s+(.+)$|^\*\*([^*\n]+)\*\*\s*$", chunk.text[:offset], re.M)]
    return found[-1].strip(" .") if found else (chunk.heading_path[-1] if chunk.heading_path
                                                 else "")


def table_rows(chunk: Chunk) -> list[Row]:
    """Body rows of every markdown table in the chunk (header and separator rows skipped)."""
    rows: list[Row] = []
    header: list[str] | None = None
    offset = 0
    for line in chunk.text.split("\n"):
        start = offset
        offset += len(line) + 1
        if not line.lstrip().startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not _SEPARATOR.match(line):
            rows.append(Row(chunk, line, cells, header, heading_before(chunk, start)))
    return rows


def _label_at(text: str, offset: int) -> str | None:
    """The ``**Label:**`` that opens the paragraph holding ``offset``, if any."""
    para_start = text.rfind("\n\n", 0, offset)
    para = text[para_start + 2 if para_start >= 0 else 0:offset]
    m = _LABEL.match(para)
    label = m.group(1).strip().lower() if m else None
    return label if label in LABELS else None


def decision_record(index: Index, query: str, decision: dict) -> DecisionRecord:
    """The labelled sentences of one decision (a graph ``decisions`` entry)."""
    chunks = [c for c in file_chunks(index, query, decision["study"], DECISIONS_CHAPTER)
              if c.path == decision["path"]]
    later = [d["line"] for d in _study_decisions(index, decision["study"])
             if d["path"] == decision["path"] and d["line"] > decision["line"]]
    end = min(later, default=10**9)
    record = DecisionRecord(decision["study"], decision["heading"], list(decision["options"]))
    for chunk in chunks:
        for s in hygiene.clean_sentences(chunk, tips=True):
            line = _line_of(chunk, s.start)
            if not decision["line"] < line < end:
                continue
            label = _label_at(chunk.text, s.start)
            if label:
                record.parts.setdefault(label, []).append(Piece(chunk, s))
    return record


def _study_decisions(index: Index, study: str) -> list[dict]:
    return index.graph.decisions(study) if index.graph.study(study) else []


def _terms(text: str) -> set[str]:
    return set(tokenize([text])[0])


def question_terms(question: str, ignore: str = "") -> set[str]:
    """The stemmed terms of a question that say what it is about (question words and the
    words of ``ignore``, such as the study's title, removed)."""
    return _terms(question) - _terms(f"{QUESTION_WORDS} {ignore}")


def _option_hits(question_terms: set[str], options: list[str]) -> int:
    """How many of a decision's options the question names (most of an option's terms)."""
    named = 0
    for option in options:
        terms = _terms(option)
        if terms and len(terms & question_terms) >= max(1, (len(terms) + 1) // 2):
            named += 1
    return named


def best_decision(index: Index, question: str, studies: list[str],
                  lead_heading: str | None = None, min_score: float = 0.35) -> dict | None:
    """The decision of ``studies`` the question is most about, or None.

    Scored by the options the question names, the IDF-weighted share of the question's terms
    found in the heading and Decision text, and whether the best passage sits under it.
    """
    q_terms = question_terms(question)
    if not q_terms:
        return None
    idf = index.term_idf
    total = sum(idf.get(t, 1.0) for t in q_terms)
    best, best_score = None, 0.0
    for study in studies:
        for d in _study_decisions(index, study):
            terms = _terms(f"{d['heading']} {d['decision']}")
            overlap = sum(idf.get(t, 1.0) for t in q_terms & terms) / total
            score = overlap + 0.3 * min(_option_hits(q_terms, d["options"]), 2)
            if lead_heading and d["heading"] == lead_heading:
                score += 0.25
            if score > best_score:
                best, best_score = d, score
    return best if best_score >= min_score else None
