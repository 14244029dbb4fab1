"""What every evaluation set shares: JSON-lines records and the citation validity check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from api.answer_types import Citation
from index.store import Index


def records(path: Path) -> Iterator[tuple[int, dict]]:
    """Each non-blank line of a JSON-lines file, parsed, with its line number."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{path}:{n}: expected a JSON object")
        yield n, data


def first_record(path: Path) -> dict | None:
    """The first record of a JSON-lines file, or None when it has none or is not JSON lines."""
    try:
        first = next(records(path), None)
    except ValueError:
        return None
    return first[1] if first else None


def citation_valid(index: Index, c: Citation) -> bool:
    """A citation names an indexed passage, lines inside it, and quotes it verbatim; a
    citation narrowed to some lines of the passage quotes exactly those lines."""
    chunk = index.chunk(c.chunk_id)
    if chunk is None or chunk.path != c.path or not c.quote or c.quote not in chunk.text:
        return False
    if not chunk.start_line <= c.start_line <= c.end_line <= chunk.end_line:
        return False
    if (c.start_line, c.end_line) == (chunk.start_line, chunk.end_line):
        return True
    return chunk.lines_text(c.start_line, c.end_line) == c.quote
