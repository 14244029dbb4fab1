"""Heading-aware chunking: sections at H1-H3, packed into passages of about 80-350 words.

Code blocks and tables are never split; an over-long section splits between blocks
(paragraphs, lists), and an over-long list between its items. Every non-blank line of the
body lands in exactly one chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.markdown import Block, ParsedDocument

SECTION_LEVELS = 3
MIN_WORDS = 80
MAX_WORDS = 350
STUB_WORDS = 12


@dataclass
class Span:
    """A chunk-to-be: 0-based line range ``[start, end)`` and its heading path."""

    start: int
    end: int
    heading_path: list[str]
    words: int


def _words(lines: list[str], start: int, end: int) -> int:
    return sum(len(line.split()) for line in lines[start:end])


def _pieces(block: Block, lines: list[str], max_words: int) -> list[tuple[int, int]]:
    """A block's unsplittable pieces: the whole block, or a long list's items."""
    if block.items and _words(lines, block.start, block.end) > max_words:
        return block.items
    return [(block.start, block.end)]


def chunk_document(
    doc: ParsedDocument, min_words: int = MIN_WORDS, max_words: int = MAX_WORDS
) -> list[Span]:
    """Split a parsed document into spans, in document order."""
    lines = doc.lines
    stack: list[tuple[int, str]] = []
    spans: list[Span] = []
    current: Span | None = None

    def flush() -> None:
        nonlocal current
        if current is not None and current.words > 0:
            spans.append(current)
        current = None

    for block in doc.blocks:
        if block.kind == "heading" and block.level <= SECTION_LEVELS:
            flush()
            stack = [(lvl, text) for lvl, text in stack if lvl < block.level]
            stack.append((block.level, block.heading))
        path = [text for _, text in stack]
        for start, end in _pieces(block, lines, max_words):
            words = _words(lines, start, end)
            if current is not None and current.words + words > max_words and (
                current.words >= STUB_WORDS
            ):
                flush()
            if current is None:
                current = Span(start, end, path, words)
            else:
                current.end = end
                current.words += words
    flush()
    return _merge_small(spans, min_words, max_words)


def _merge_small(spans: list[Span], min_words: int, max_words: int) -> list[Span]:
    """Fold heading-only stubs forward and short spans into a neighbour of the same H2."""
    merged: list[Span] = []
    carry: Span | None = None
    for span in spans:
        if carry is not None:
            span = Span(carry.start, span.end, span.heading_path, carry.words + span.words)
            carry = None
        if span.words < STUB_WORDS:
            carry = span
            continue
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and min(prev.words, span.words) < min_words
            and prev.words + span.words <= max_words
            and prev.heading_path[:2] == span.heading_path[:2]
        ):
            prev.end = span.end
            prev.words += span.words
            continue
        merged.append(span)
    if carry is not None:
        if merged:
            merged[-1].end = carry.end
            merged[-1].words += carry.words
        else:
            merged.append(carry)
    return merged
