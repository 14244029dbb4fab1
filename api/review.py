"""Design review: requirements in; nearest studies, the decisions to revisit, and estimates out.

Deterministic and offline. The nearest studies come from a hybrid search over the whole text,
lifted by concepts the text names that a study declares and by a comparable scale. Every
decision of those studies is set against the user's numbers (``api.review_status``). Each
study, choice and trigger is cited to the passage and line span it comes from.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from api.answer_types import Citation, citation
from api.envelope import Estimate, estimate
from api.requirements import Requirements, read_requirements
from api.review_status import STATUSES, ConditionResult, decision_status
from index.chunks import Chunk
from index.quantities import find_quantities, human
from index.store import Index
from index.text import sentences

SEARCH_POOL = 60
RANK_OFFSET = 10
CONCEPT_BONUS = 0.02
SCALE_BONUS = 0.01
SCALE_FACTOR = 10  # figures within 10x of each other are "comparable scale"
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class NearStudy:
    """A study whose design fits the requirements, and why."""

    study: str
    title: str
    score: float
    shared_concepts: list[str]
    comparable_scale: list[str]
    scale: str
    citation: int


@dataclass
class ReviewDecision:
    """One ``A vs B`` decision of a near study, set against the user's numbers."""

    study: str
    study_title: str
    heading: str
    choice: str
    trade_off: str
    trigger: str
    status: str
    conditions: list[ConditionResult]
    citations: dict[str, int]  # "choice", "trade_off", "trigger" -> citation number


@dataclass
class Review:
    """What ``POST /review`` returns."""

    summary: str
    requirements: dict[str, Any]
    nearest: list[NearStudy]
    decisions: list[ReviewDecision]
    envelope: list[Estimate]
    assumptions: list[str]
    citations: list[Citation]
    mode: str = "extractive"
    notice: str = ""
    removed_citations: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Citations:
    """Numbers citations in order of first use; the same passage and quote keeps its number."""

    def __init__(self) -> None:
        self.items: list[Citation] = []
        self._seen: dict[tuple[str, str], int] = {}

    def add(self, chunk: Chunk, quote: str, lines: tuple[int, int] | None = None) -> int:
        """Cite ``quote`` of ``chunk``; ``lines`` narrows the span to the quoted lines."""
        key = (chunk.id, quote)
        if key not in self._seen:
            self._seen[key] = len(self.items) + 1
            cited = citation(self._seen[key], chunk, quote)
            if lines:
                cited.start_line, cited.end_line = lines
            self.items.append(cited)
        return self._seen[key]


def review(index: Index, text: str, studies: int = 3) -> Review:
    """The offline review of ``text`` against the ``studies`` nearest studies (3-5)."""
    req = read_requirements(text)
    cites = _Citations()
    nearest = nearest_studies(index, req, max(3, min(studies, 5)), cites)
    pairs = [pair for s in nearest for pair in _decisions(index, s, req)]
    pairs.sort(key=lambda pair: STATUSES.index(pair[0].status))  # most pressing first
    for d, record in pairs:  # cited in reading order
        _cite_decision(index, d, record, cites)
    decisions = [d for d, _ in pairs]
    lines, assumptions = estimate(req)
    return Review(_summary(req, nearest, decisions), req.to_dict(), nearest, decisions, lines,
                  assumptions, cites.items)


def nearest_studies(index: Index, req: Requirements, n: int,
                    cites: _Citations | None = None) -> list[NearStudy]:
    """The ``n`` studies closest to the requirements, with the reasons and a cited passage."""
    cites = cites or _Citations()
    hits = index.search(req.text, k=SEARCH_POOL)
    score: dict[str, float] = defaultdict(float)
    best: dict[str, Chunk] = {}
    for rank, hit in enumerate(hits):
        score[hit.chunk.study] += 1 / (RANK_OFFSET + rank)
        best.setdefault(hit.chunk.study, hit.chunk)
    named = set(index.matcher.find(req.text))
    graph = index.graph
    reasons: dict[str, tuple[list[str], list[str], str]] = {}
    for study in graph.studies():
        sid = study["id"]
        shared = sorted(named & set(study.get("declared", [])))
        comparable = _comparable(req, study.get("scale", ""))
        reasons[sid] = (shared, comparable, study.get("scale", ""))
        score[sid] += CONCEPT_BONUS * len(shared) + SCALE_BONUS * bool(comparable)
    ranked = sorted((s for s in score if s in best), key=lambda s: (-score[s], s))[:n]
    out = []
    for sid in ranked:
        shared, comparable, scale = reasons.get(sid, ([], [], ""))
        chunk = best[sid]
        out.append(NearStudy(
            sid, chunk.study_title, round(score[sid], 4),
            [_concept_name(index, c) for c in shared], comparable, scale,
            cites.add(chunk, _closest_sentence(chunk.text, req.text)),
        ))
    return out


def _comparable(req: Requirements, scale: str) -> list[str]:
    """Lines such as "yours 500M, the study's 500M users", for figures of one measure that are
    within 10x of the study's stated scale."""
    found = []
    for theirs in find_quantities(scale):
        for mine in req.values(theirs.measure):
            ratio = mine.value / theirs.value if theirs.value else 0
            if 1 / SCALE_FACTOR <= ratio <= SCALE_FACTOR:
                found.append(f"yours {human(mine.value, mine.unit)}, the study's "
                             f"{human(theirs.value, theirs.unit)} "
                             f"{theirs.measure.replace('rate:', '')}")
                break
    return found


def _decisions(index: Index, near: NearStudy,
               req: Requirements) -> list[tuple[ReviewDecision, dict[str, Any]]]:
    """Every decision of a near study with its status, beside the graph record it came from."""
    out = []
    for record in index.graph.decisions(near.study):
        status, results = decision_status(record, req)
        out.append((ReviewDecision(
            near.study, near.title, record["heading"], record.get("decision", ""),
            record.get("trade_off", ""), record.get("reconsider", ""), status, results, {},
        ), record))
    return out


def _cite_decision(index: Index, d: ReviewDecision, record: dict[str, Any],
                   cites: _Citations) -> None:
    """Cite the trigger of every decision, and the choice and trade-off of those with a
    known status, each to the lines it sits on."""
    parts = [("trigger", "when to reconsider")]
    if d.status != "unknown":
        parts = [("choice", "decision"), ("trade_off", "trade-off"), *parts]
    spans = record.get("spans", {})
    for part, label in parts:
        if label in spans:
            number = _cite_span(index, record["path"], spans[label], cites)
            if number:
                d.citations[part] = number


def _cite_span(index: Index, path: str, span: list[int], cites: _Citations) -> int | None:
    """Cite lines ``span`` of ``path`` in the passage holding them, quoting them verbatim."""
    start, end = span
    for chunk in index.chunks:
        if chunk.path == path and chunk.start_line <= start <= chunk.end_line:
            last = min(end, chunk.end_line)
            quote = chunk.lines_text(start, last)
            if quote:
                return cites.add(chunk, quote, (start, last))
    return None


def _closest_sentence(passage: str, text: str) -> str:
    """The sentence of a passage sharing the most words with the requirements."""
    words = set(_WORD.findall(text.lower()))
    found = sentences(passage)
    if not found:
        return passage[:300]
    return max(found, key=lambda s: len(words & set(_WORD.findall(s.raw.lower())))).raw


def _concept_name(index: Index, concept_id: str) -> str:
    concept = index.matcher.get(concept_id)
    return concept.name if concept else concept_id


def _summary(req: Requirements, nearest: list[NearStudy], decisions: list[ReviewDecision]) -> str:
    """A few plain sentences with the citations that back them."""
    figures = ", ".join(f"{human(q.value, q.unit)} ({q.measure.replace('rate:', '')})"
                        for q in req.quantities) or "no figures"
    parts = [f"Read from your requirements: {figures}."]
    if nearest:
        parts.append("Nearest designs: " + "; ".join(
            f"{s.title} [{s.citation}]" for s in nearest) + ".")
    pressing = [d for d in decisions if d.status in ("crossed", "near")]
    for d in pressing:
        word = "crosses" if d.status == "crossed" else "comes near"
        cond = next((c for c in d.conditions if c.status == d.status), None)
        detail = f" ({cond.user_value} against {cond.comparison} {cond.threshold})" if cond else ""
        ref = f" [{d.citations['trigger']}]" if "trigger" in d.citations else ""
        parts.append(f"Your scale {word} the trigger of {d.study_title}: {d.heading}{detail}{ref}.")
    if not pressing:
        parts.append("None of your figures crosses a trigger of these designs' decisions.")
    return " ".join(parts)
