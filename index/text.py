"""Sentences of a markdown passage, each with its exact character span in the passage."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! or ? before a capital, digit or opening mark; an ellipsis
# ("SELECT ... FOR UPDATE") does not end one.
_BOUNDARY = re.compile(r"(?<=[.!?])(?<!\.\.\.)[\"')\]*]*\s+(?=[A-Z0-9\"'(`*\[])")
_SKIP_LINE = re.compile(r"^\s*(#|\||<|-{3,}\s*$|\*{3,}\s*$)")
_ITEM = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|>\s*)")
_LABEL = re.compile(r"^\*\*[^*\n]{1,40}:\*\*\s*|^\*\*[^*\n]{1,40}\*\*:\s*")


@dataclass(frozen=True)
class Sentence:
    """A sentence and where it sits in its passage (``passage[start:end]`` is ``raw``)."""

    raw: str
    start: int
    end: int

    @property
    def text(self) -> str:
        """The sentence on one line, for display."""
        return " ".join(self.raw.split())


def _paragraphs(passage: str) -> list[tuple[int, int]]:
    """(start, end) offsets of prose paragraphs; list items are paragraphs of their own."""
    spans: list[tuple[int, int]] = []
    current: list[int] | None = None
    offset = 0
    in_code = False
    for line in passage.split("\n"):
        start, end = offset, offset + len(line)
        offset = end + 1
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            current = None
            continue
        if in_code or not stripped or _SKIP_LINE.match(line):
            current = None
            continue
        item = _ITEM.match(line)
        if item or current is None:
            body = start + (item.end() if item else len(line) - len(line.lstrip()))
            current = [body, end]
            spans.append((current[0], current[1]))
        else:
            current[1] = end
            spans[-1] = (current[0], current[1])
    return spans


def sentences(passage: str, min_words: int = 5) -> list[Sentence]:
    """Prose sentences: headings, code and tables skipped, bullets and bold labels stripped."""
    out: list[Sentence] = []
    for p_start, p_end in _paragraphs(passage):
        body = passage[p_start:p_end]
        cursor = 0
        for m in [*_BOUNDARY.finditer(body), None]:
            end = m.start() + len(m.group(0).rstrip()) if m else len(body)
            piece = body[cursor:end]
            label = _LABEL.match(piece)
            skip = label.end() if label else 0
            raw = piece[skip:].rstrip()
            if len(raw.split()) >= min_words:
                start = p_start + cursor + skip
                out.append(Sentence(raw, start, start + len(raw)))
            cursor = m.end() if m else len(body)
    return out
