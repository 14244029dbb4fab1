"""What every composer shares: the question's context and a builder that numbers citations.

A composer adds paragraphs, bullet lists and tables whose every sentence or row ends with a
citation number; the builder gives one number per chunk, in order of first use, and keeps the
first verbatim quote it was given for that chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.answer_types import Answer, Citation, citation
from api.hygiene import without_links
from api.similarity import SentenceSimilarity
from index.chunks import Chunk
from index.store import Hit, Index


@dataclass
class Context:
    """A question ready to compose: the standalone query, its intent, the studies it is about
    and the passages retrieved for it."""

    index: Index
    question: str
    intent: str
    studies: list[str]
    hits: list[Hit]
    tips: bool = False
    sentences: int = 5
    similarity: SentenceSimilarity | None = None


@dataclass
class AnswerBuilder:
    """Collects blocks of an answer and the citations they use."""

    blocks: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    _numbers: dict[str, int] = field(default_factory=dict)

    def cite(self, chunk: Chunk, quote: str) -> int:
        """The citation number of ``chunk`` (``quote`` must be verbatim text of it)."""
        if chunk.id not in self._numbers:
            self._numbers[chunk.id] = len(self._numbers) + 1
            self.citations.append(citation(self._numbers[chunk.id], chunk, quote))
        return self._numbers[chunk.id]

    def cited(self, chunk: Chunk, quote: str) -> str:
        """The quote on one line, capitalised, followed by its citation marker."""
        shown = " ".join(without_links(quote).split())
        shown = shown[:1].upper() + shown[1:]
        return f"{shown} [{self.cite(chunk, quote)}]"

    def add(self, block: str) -> None:
        if block.strip():
            self.blocks.append(block.strip())

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        """A markdown table; cells are shown on one line, pipes escaped."""
        def cell(text: str, empty: str = "-") -> str:
            return " ".join(text.split()).replace("|", "\\|") or empty

        lines = ["| " + " | ".join(cell(h, "") for h in header) + " |",
                 "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
        self.add("\n".join(lines))

    @property
    def empty(self) -> bool:
        return not self.citations

    def build(self, route: str, query: str) -> Answer:
        return Answer("\n\n".join(self.blocks), self.citations, bool(self.citations),
                      "extractive", route=route, query=query)
