"""Frequent technical-looking terms that no concept matches, so the vocabulary can grow."""

from __future__ import annotations

import re
from collections import Counter

from index.chunks import Chunk
from index.concepts import ConceptMatcher

_TERM = re.compile(
    r"\b(?:[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*|[a-z]+[A-Z][A-Za-z0-9]*)\b"  # acronyms, CamelCase
    r"|(?<=[a-z,;] )[A-Z][a-z]{2,}\b"  # capitalised words inside a sentence
)
_HEADING = re.compile(r"^#.*$", re.M)
_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")
_IGNORE = {"The", "This", "That", "When", "With", "For", "Each", "One", "And", "But", "Why",
           "Decision", "Context", "Trade", "Step", "See", "Use", "Not", "All", "Our", "Its",
           "API", "APIs", "ID", "IDs", "UI", "OK", "HTTP", "JSON", "GB", "TB", "MB", "KB", "PB",
           "QPS", "RPS", "TPS", "SLO", "SLOs", "SLA", "CPU", "GPU", "RAM", "SSD", "AZ", "MVP",
           "URL", "TLS", "DNS", "SQL", "UTC", "POST", "GET", "PUT", "DELETE", "US", "EU"}


def unmatched_terms(chunks: list[Chunk], matcher: ConceptMatcher, min_chunks: int = 5,
                    top: int = 25) -> list[tuple[str, int]]:
    """Terms in at least ``min_chunks`` chunks outside every concept match, most frequent first."""
    df: Counter[str] = Counter()
    for chunk in chunks:
        text = _LINK.sub(" ", _HEADING.sub("", chunk.text))
        taken = [(s, e) for s, e, _ in matcher.spans(text)]
        found = set()
        for m in _TERM.finditer(text):
            term = m.group(0)
            if term in _IGNORE or any(s <= m.start() < e for s, e in taken):
                continue
            found.add(term)
        df.update(found)
    return [(t, n) for t, n in df.most_common(top) if n >= min_chunks]
