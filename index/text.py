"""Sentences of a markdown passage, each with its exact character span in the passage."""

from __future__ import annotations

import re
from dataclasses import dataclass

_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(`*\[])")
_SKIP_LINE = re.compile(r"^\s*(#|```|~~~|\|?\s*:?-{3,}|<)")
_PREFIX = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|>\s*)")


@dataclass(frozen=True)
class Sentence:
    """A sentence and where it sits in its passage (``text[start:end]`` is verbatim)."""

    text: str
    start: int
    end: int


def sentences(passage: str, min_words: int = 5) -> list[Sentence]:
    """Prose sentences of a passage: headings, code and table rules skipped, bullets kept."""
    out: list[Sentence] = []
    offset = 0
    in_code = False
    for line in passage.split("\n"):
        line_start = offset
        offset += len(line) + 1
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code or not stripped or _SKIP_LINE.match(line) or stripped.startswith("|"):
            continue
        prefix = _PREFIX.match(line)
        body_start = line_start + (prefix.end() if prefix else len(line) - len(line.lstrip()))
        body = passage[body_start:line_start + len(line)]
        cursor = 0
        for m in [*_BOUNDARY.finditer(body), None]:
            end = m.start() + len(m.group(0).rstrip()) if m else len(body)
            piece = body[cursor:end].rstrip()
            if len(piece.split()) >= min_words:
                start = body_start + cursor
                out.append(Sentence(piece, start, start + len(piece)))
            cursor = m.end() if m else len(body)
    return out
