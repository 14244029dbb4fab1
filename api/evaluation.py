"""``casegraph eval``: retrieval quality at study level, and how ``/ask`` treats each question.

Questions are JSON lines ``{"id", "question", "studies": [ids], "kind"}``; ``kind`` is
``study`` (one design), ``concept`` (where a concept is used, several ids) or ``off_topic``
(``studies: []``, must be declined). Answer sets (items with ``nuggets``) are scored by
``api.answer_quality``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.answer import AnswerEngine
from api.eval_data import citation_valid, records
from index.settings import Settings
from index.store import Index

STUDY_DEPTH = 50


@dataclass
class Question:
    id: str
    question: str
    studies: list[str]
    kind: str = "study"


@dataclass
class ModeScores:
    recall_at_1: list[float] = field(default_factory=list)
    recall_at_5: list[float] = field(default_factory=list)
    mrr_at_10: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)


def load_questions(path: Path) -> list[Question]:
    """Read and check a question file; a malformed line is an error naming the line."""
    questions = []
    for n, data in records(path):
        try:
            q = Question(str(data.get("id", f"line{n}")), data["question"],
                         list(data.get("studies", [])), data.get("kind", "study"))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: expected JSON with 'question' and 'studies' ({exc})") from exc
        questions.append(q)
    if not questions:
        raise ValueError(f"{path}: no questions")
    return questions


def ranked_studies(index: Index, question: str, mode: str,
                   engine: AnswerEngine | None = None) -> list[str]:
    """Studies in the order their best passage ranks; in ``ask`` mode, the studies a
    graph answer lists when ``/ask`` answers from the graph, else the hybrid order."""
    if mode == "ask" and engine is not None:
        graph = engine.graph_answer(index, question)
        if graph is not None:
            return list(dict.fromkeys(c.study for c in graph.citations))
        mode = "hybrid"
    seen: list[str] = []
    for hit in index.search(question, k=STUDY_DEPTH, mode=mode):
        if hit.chunk.study not in seen:
            seen.append(hit.chunk.study)
    return seen


def score(ranked: list[str], gold: list[str]) -> tuple[float, float, float]:
    """Recall@1, Recall@5 (share of gold found, capped at 5) and MRR@10 for one question."""
    gold_set = set(gold)
    r1 = 1.0 if ranked[:1] and ranked[0] in gold_set else 0.0
    r5 = len(gold_set & set(ranked[:5])) / min(len(gold_set), 5)
    rr = next((1.0 / (i + 1) for i, s in enumerate(ranked[:10]) if s in gold_set), 0.0)
    return r1, r5, rr


def evaluate(index: Index, questions: list[Question], modes: list[str],
             settings: Settings) -> dict[str, Any]:
    """Scores per mode and kind, plus the /ask behaviour on every question."""
    known = index.study_ids
    unknown = sorted({s for q in questions for s in q.studies} - known)
    labelled = [q for q in questions if q.studies]
    report: dict[str, Any] = {"questions": len(questions), "unknown_study_labels": unknown,
                              "modes": {}}
    engine = AnswerEngine(settings.model_copy(update={"llm_base_url": None}))
    for mode in modes:
        by_kind: dict[str, ModeScores] = {}
        started = time.perf_counter()
        for q in labelled:
            r1, r5, rr = score(ranked_studies(index, q.question, mode, engine), q.studies)
            s = by_kind.setdefault(q.kind, ModeScores())
            s.recall_at_1.append(r1)
            s.recall_at_5.append(r5)
            s.mrr_at_10.append(rr)
            if r5 < 1.0:
                s.misses.append(q.id)
        elapsed = time.perf_counter() - started
        report["modes"][mode] = {
            "ms_per_query": round(1000 * elapsed / max(len(labelled), 1), 2),
            **{kind: _summary(s) for kind, s in sorted(by_kind.items())},
            "all": _summary(_merge(by_kind.values())),
        }
    report["ask"] = _ask_behaviour(index, questions, settings)
    return report


def _ask_behaviour(index: Index, questions: list[Question], settings: Settings) -> dict[str, Any]:
    """Share of off-topic questions declined, of on-topic ones answered, and citation validity."""
    engine = AnswerEngine(settings.model_copy(update={"llm_base_url": None}))
    declined_off, answered_on, citations, invalid = 0, 0, 0, []
    off = [q for q in questions if not q.studies]
    on = [q for q in questions if q.studies]
    wrongly_declined = []
    for q in questions:
        answer = engine.answer(index, q.question)
        for c in answer.citations:
            citations += 1
            if not citation_valid(index, c):
                invalid.append(f"{q.id}[{c.n}]")
        if not q.studies and not answer.grounded:
            declined_off += 1
        if q.studies and answer.grounded:
            answered_on += 1
        elif q.studies:
            wrongly_declined.append(q.id)
    return {
        "off_topic_declined": _share(declined_off, len(off)),
        "on_topic_answered": _share(answered_on, len(on)),
        "wrongly_declined": wrongly_declined,
        "citations": citations,
        "invalid_citations": invalid,
    }


def _share(n: int, total: int) -> float | None:
    return round(n / total, 4) if total else None


def _merge(parts) -> ModeScores:
    merged = ModeScores()
    for p in parts:
        merged.recall_at_1 += p.recall_at_1
        merged.recall_at_5 += p.recall_at_5
        merged.mrr_at_10 += p.mrr_at_10
        merged.misses += p.misses
    return merged


def _summary(s: ModeScores) -> dict[str, Any]:
    n = len(s.recall_at_1)

    def mean(xs: list[float]) -> float | None:
        return round(sum(xs) / n, 4) if n else None

    return {"n": n, "recall@1": mean(s.recall_at_1), "recall@5": mean(s.recall_at_5),
            "mrr@10": mean(s.mrr_at_10), "misses": s.misses}


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table of the report."""
    lines = [f"{report['questions']} questions"]
    if report["unknown_study_labels"]:
        lines.append(f"WARNING: labels not in the index: {report['unknown_study_labels']}")
    lines.append(f"{'mode':8} {'kind':9} {'n':>4} {'R@1':>6} {'R@5':>6} {'MRR@10':>7} {'ms/q':>6}")
    for mode, data in report["modes"].items():
        for kind, s in data.items():
            if kind == "ms_per_query":
                continue
            lines.append(f"{mode:8} {kind:9} {s['n']:>4} {s['recall@1']:>6.3f} "
                         f"{s['recall@5']:>6.3f} {s['mrr@10']:>7.3f} {data['ms_per_query']:>6}")
            if s["misses"] and kind != "all":
                lines.append(f"{'':18} R@5 misses: {', '.join(s['misses'])}")
    ask = report["ask"]
    lines.append(f"/ask: off-topic declined {ask['off_topic_declined']}, on-topic answered "
                 f"{ask['on_topic_answered']}, citations {ask['citations']}, invalid "
                 f"{len(ask['invalid_citations'])}")
    if ask["wrongly_declined"]:
        lines.append(f"      declined although labelled: {', '.join(ask['wrongly_declined'])}")
    return "\n".join(lines)
