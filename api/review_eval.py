"""``casegraph eval bench/review.jsonl``: how well the design review does on labelled texts.

Each line is ``{"id", "text", "nearest": [study ids], "decisions": [{"study", "heading",
"status"}]}``. Reported: nearest-study recall@5, trigger-status accuracy (a labelled decision
outside the review's studies is scored by the same status function), citation validity (every
citation names a passage of the index, its lines, and quotes it verbatim), and the share of
numeric triggers that ingest parsed into conditions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.eval_data import citation_valid, first_record, records
from api.requirements import read_requirements
from api.review import review
from api.review_status import decision_status
from index.store import Index

DEPTH = 5


@dataclass
class ReviewCase:
    id: str
    text: str
    nearest: list[str]
    decisions: list[dict[str, str]]


def is_review_file(path: Path) -> bool:
    """Whether a JSONL file holds review cases (``text`` and ``nearest``) rather than questions."""
    first = first_record(path)
    return first is not None and "text" in first and "nearest" in first


def load_cases(path: Path) -> list[ReviewCase]:
    """Read and check a review file; a malformed line is an error naming the line."""
    cases = []
    for n, data in records(path):
        try:
            case = ReviewCase(str(data.get("id", f"line{n}")), data["text"], list(data["nearest"]),
                              [{"study": d["study"], "heading": d["heading"],
                                "status": d["status"]} for d in data.get("decisions", [])])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: expected JSON with 'text', 'nearest' and "
                             f"'decisions' ({exc})") from exc
        cases.append(case)
    if not cases:
        raise ValueError(f"{path}: no review cases")
    return cases


def evaluate_reviews(index: Index, cases: list[ReviewCase]) -> dict[str, Any]:
    """Scores over all cases, with the misses listed so they can be read."""
    recalls, right, total, cites, valid = [], 0, 0, 0, 0
    in_review = 0
    misses: list[str] = []
    wrong: list[dict[str, str]] = []
    for case in cases:
        result = review(index, case.text, DEPTH)
        top = [s.study for s in result.nearest][:DEPTH]
        found = [s for s in case.nearest if s in top]
        recalls.append(len(found) / len(case.nearest) if case.nearest else 1.0)
        misses += [f"{case.id}: {s}" for s in case.nearest if s not in top]
        statuses = {(d.study, d.heading): d.status for d in result.decisions}
        req = read_requirements(case.text)
        for label in case.decisions:
            key = (label["study"], label["heading"])
            if key in statuses:
                in_review += 1
                status = statuses[key]
            else:
                record = next((r for r in index.graph.decisions(label["study"])
                               if r["heading"] == label["heading"]), None)
                status = decision_status(record, req)[0] if record else "missing"
            total += 1
            if status == label["status"]:
                right += 1
            else:
                wrong.append({"case": case.id, "decision": f"{key[0]}: {key[1]}",
                              "expected": label["status"], "got": status})
        cites += len(result.citations)
        valid += sum(citation_valid(index, c) for c in result.citations)
    counts = index.manifest.counts
    numeric, parsed = counts.get("numeric_triggers", 0), counts.get("parsed_triggers", 0)
    return {
        "cases": len(cases),
        "nearest_recall_at_5": round(sum(recalls) / len(recalls), 3),
        "trigger_status_accuracy": round(right / total, 3) if total else None,
        "labelled_decisions": total,
        "labelled_decisions_in_review": in_review,
        "citation_validity": round(valid / cites, 3) if cites else None,
        "citations": cites,
        "triggers_parsed": round(parsed / numeric, 3) if numeric else None,
        "numeric_triggers": numeric,
        "parsed_triggers": parsed,
        "nearest_misses": misses,
        "status_errors": wrong,
    }


def format_review_report(report: dict[str, Any]) -> str:
    """The report as a few readable lines."""
    lines = [
        f"Design review over {report['cases']} labelled requirement texts",
        f"  nearest-study recall@5   {report['nearest_recall_at_5']:.3f}",
        f"  trigger-status accuracy  {report['trigger_status_accuracy']:.3f} "
        f"({report['labelled_decisions']} decisions, "
        f"{report['labelled_decisions_in_review']} of them in the review's studies)",
        f"  citation validity        {report['citation_validity']:.3f} "
        f"({report['citations']} citations)",
        f"  triggers parsed          {report['parsed_triggers']} of {report['numeric_triggers']} "
        f"numeric ({report['triggers_parsed'] or 0:.0%})",
    ]
    if report["nearest_misses"]:
        lines.append("  nearest misses: " + ", ".join(report["nearest_misses"]))
    for w in report["status_errors"]:
        lines.append(f"  status {w['case']} {w['decision']}: expected {w['expected']}, "
                     f"got {w['got']}")
    return "\n".join(lines)
