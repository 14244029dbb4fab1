"""``casegraph eval`` on an answer set: does ``/ask`` state the facts a good answer states?

Items are JSON lines ``{"id", "question", "intent", "studies", "nuggets", "history"?}``;
``nuggets`` is a list of facts, each a list of accepted spellings (bench/README.md).
Scores per intent: nugget recall, answers citing only the labelled studies, citation
validity, answers quoting a navigation line (``api.hygiene.is_navigation``: a linked line
with a navigation cue or little prose of its own), and refusals.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.answer import AnswerEngine
from api.answer_types import Answer
from api.eval_data import citation_valid, first_record, records
from api.followup import Turn
from api.hygiene import is_navigation
from index.settings import Settings
from index.store import Index

OFF_TOPIC = "off_topic"
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")
_OTHER = re.compile(r"[^a-z0-9.%$/#]+")
_LONE_DOT = re.compile(r"(?<![0-9])\.|\.(?![0-9])")



@dataclass
class AnswerItem:
    id: str
    question: str
    intent: str
    studies: list[str]
    nuggets: list[list[str]]
    history: list[Turn] = field(default_factory=list)


def normalise(text: str) -> str:
    """Lower case, ``1,000`` -> ``1000``, punctuation runs -> one space, padded with spaces."""
    text = _THOUSANDS.sub("", text.lower())
    text = _LONE_DOT.sub(" ", _OTHER.sub(" ", text))
    return f" {' '.join(text.split())} "


def nugget_found(answer: str, spellings: list[str]) -> bool:
    """Whether any spelling of a nugget occurs in the answer on word boundaries."""
    text = normalise(answer)
    return any(normalise(s) in text for s in spellings if s.strip())


def is_answer_set(path: Path) -> bool:
    """A question file whose first item carries ``nuggets`` is an answer set."""
    first = first_record(path)
    return first is not None and "nuggets" in first


def load_answer_set(path: Path) -> list[AnswerItem]:
    """Read and check an answer set; a malformed line is an error naming the line."""
    items = []
    for n, data in records(path):
        try:
            item = AnswerItem(
                str(data["id"]), data["question"], data["intent"], list(data["studies"]),
                [list(map(str, nug)) for nug in data["nuggets"]],
                [Turn(t["role"], t["content"]) for t in data.get("history", [])],
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: expected JSON with 'id', 'question', 'intent', "
                             f"'studies' and 'nuggets' ({exc})") from exc
        if item.intent != OFF_TOPIC and not (item.studies and item.nuggets):
            raise ValueError(f"{path}:{n}: an on-topic item needs studies and nuggets")
        items.append(item)
    if not items:
        raise ValueError(f"{path}: no items")
    return items


@dataclass
class _Intent:
    n: int = 0
    recall: list[float] = field(default_factory=list)
    only_relevant: list[bool] = field(default_factory=list)
    citations: int = 0
    invalid: list[str] = field(default_factory=list)
    navigation: list[str] = field(default_factory=list)
    declined: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    off_cited: list[str] = field(default_factory=list)


def _score(index: Index, item: AnswerItem, answer: Answer, s: _Intent) -> None:
    s.n += 1
    for c in answer.citations:
        s.citations += 1
        if not citation_valid(index, c):
            s.invalid.append(f"{item.id}[{c.n}]")
    if any(is_navigation(line) for text in [answer.answer, *(c.quote for c in answer.citations)]
           for line in text.splitlines()):
        s.navigation.append(item.id)
    if item.intent == OFF_TOPIC:
        if answer.grounded:
            s.missed.append(item.id)
        return
    if not answer.grounded:
        s.declined.append(item.id)
        s.recall.append(0.0)
        return
    found = [nugget_found(answer.answer, nug) for nug in item.nuggets]
    s.recall.append(sum(found) / len(found))
    if sum(found) < len(found):
        s.missed.append(f"{item.id}:{len(found) - sum(found)}")
    cited = {c.study for c in answer.citations}
    relevant = bool(cited) and cited <= set(item.studies)
    s.only_relevant.append(relevant)
    if not relevant:
        s.off_cited.append(item.id)


def _summary(s: _Intent) -> dict[str, Any]:
    def mean(xs: list) -> float | None:
        return round(sum(xs) / len(xs), 4) if xs else None

    return {
        "n": s.n, "nugget_recall": mean(s.recall), "only_relevant": mean(s.only_relevant),
        "citations": s.citations, "invalid_citations": s.invalid,
        "navigation_quoted": s.navigation, "declined": s.declined,
        "missed_nuggets": s.missed, "off_study_citations": s.off_cited,
    }


def evaluate_answers(index: Index, items: list[AnswerItem], settings: Settings) -> dict[str, Any]:
    """Answer every item offline and score it; per intent and over all on-topic items."""
    engine = AnswerEngine(settings.model_copy(update={"llm_base_url": None}))
    known = index.study_ids
    by_intent: dict[str, _Intent] = {}
    on_topic = _Intent()
    started = time.perf_counter()
    for item in items:
        answer = engine.answer(index, item.question, history=item.history or None)
        _score(index, item, answer, by_intent.setdefault(item.intent, _Intent()))
        if item.intent != OFF_TOPIC:
            _score(index, item, answer, on_topic)
    elapsed = time.perf_counter() - started
    off = by_intent.get(OFF_TOPIC, _Intent())
    return {
        "items": len(items),
        "unknown_study_labels": sorted({s for i in items for s in i.studies} - known),
        "ms_per_answer": round(1000 * elapsed / len(items), 1),
        "intents": {k: _summary(v) for k, v in sorted(by_intent.items()) if k != OFF_TOPIC},
        "on_topic": _summary(on_topic),
        "off_topic": {"n": off.n, "declined": off.n - len(off.missed), "answered": off.missed,
                      "invalid_citations": off.invalid},
    }


def format_answer_report(report: dict[str, Any]) -> str:
    """A plain-text table of an answer-set report."""
    lines = [f"{report['items']} answer items, {report['ms_per_answer']} ms per answer"]
    if report["unknown_study_labels"]:
        lines.append(f"WARNING: labels not in the index: {report['unknown_study_labels']}")
    lines.append(f"{'intent':11} {'n':>3} {'nuggets':>8} {'only-rel':>8} {'cites':>6} "
                 f"{'invalid':>7} {'nav':>4} {'declined':>8}")
    rows = [*report["intents"].items(), ("all", report["on_topic"])]
    for intent, s in rows:
        recall = "-" if s["nugget_recall"] is None else f"{s['nugget_recall']:.3f}"
        only = "-" if s["only_relevant"] is None else f"{s['only_relevant']:.3f}"
        lines.append(f"{intent:11} {s['n']:>3} {recall:>8} {only:>8} {s['citations']:>6} "
                     f"{len(s['invalid_citations']):>7} {len(s['navigation_quoted']):>4} "
                     f"{len(s['declined']):>8}")
    on = report["on_topic"]
    for label, key in (("missed nuggets (id:count)", "missed_nuggets"),
                       ("cited another study", "off_study_citations"),
                       ("declined although on topic", "declined"),
                       ("quoted a navigation line", "navigation_quoted"),
                       ("invalid citations", "invalid_citations")):
        if on[key]:
            lines.append(f"{label}: {', '.join(on[key])}")
    off = report["off_topic"]
    lines.append(f"off-topic declined {off['declined']}/{off['n']}"
                 + (f"; answered: {', '.join(off['answered'])}" if off["answered"] else ""))
    return "\n".join(lines)
