"""``## A vs B`` decision sections: their options and labelled parts (Context ... When to reconsider)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.markdown import ParsedDocument

_VS = re.compile(r"\s+vs\.?\s+", re.IGNORECASE)
_LABEL = re.compile(r"\*\*([A-Za-z][A-Za-z -]*?):?\*\*:?\s*")
LABELS = ("context", "decision", "why", "trade-off", "when to reconsider")


@dataclass
class Decision:
    """One trade-off a study weighed."""

    heading: str
    options: list[str]
    line: int  # 1-based line of the heading
    parts: dict[str, str] = field(default_factory=dict)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # 1-based, inclusive

    @property
    def reconsider(self) -> str:
        return self.parts.get("when to reconsider", "")


def find_decisions(doc: ParsedDocument) -> list[Decision]:
    """Every H2 whose title compares options with ``vs``, with its labelled paragraphs."""
    heads = [b for b in doc.blocks if b.kind == "heading" and b.level <= 2]
    decisions = []
    for i, head in enumerate(heads):
        options = [o.strip(" .") for o in _VS.split(head.heading)]
        if head.level != 2 or len(options) < 2 or not all(options):
            continue
        end = heads[i + 1].start if i + 1 < len(heads) else len(doc.lines)
        body = "\n".join(doc.lines[head.end:end])
        parts, spans = _labelled_parts(body, head.end + 1)
        decisions.append(Decision(head.heading, options, head.start + 1, parts, spans))
    return decisions


def _labelled_parts(body: str, first_line: int) -> tuple[dict[str, str],
                                                        dict[str, tuple[int, int]]]:
    """``**Label:** text`` paragraphs keyed by lower-case label, whitespace collapsed, and the
    1-based line span of each (``first_line`` is the line number of the body's first line)."""
    marks = [m for m in _LABEL.finditer(body) if m.group(1).strip().lower() in LABELS]
    parts: dict[str, str] = {}
    spans: dict[str, tuple[int, int]] = {}
    for i, mark in enumerate(marks):
        label = mark.group(1).strip().lower()
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        text = body[mark.end():end]
        parts[label] = " ".join(text.split())
        start_line = first_line + body.count("\n", 0, mark.start())
        last = mark.end() + len(text.rstrip())
        spans[label] = (start_line, first_line + body.count("\n", 0, max(last - 1, 0)))
    return parts, spans
