"""The result types every answer writer shares: an answer and its numbered citations."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from index.chunks import Chunk


@dataclass
class Citation:
    """A numbered source of an answer; ``quote`` is verbatim text of the chunk."""

    n: int
    chunk_id: str
    path: str
    start_line: int
    end_line: int
    study: str
    heading: str
    quote: str


@dataclass
class Answer:
    """What ``/ask`` returns."""

    answer: str
    citations: list[Citation]
    grounded: bool
    mode: str  # "extractive" (offline) or "llm"
    route: str = "search"  # "search", "graph" (where-is-X-used) or "declined"
    notice: str = ""
    query: str = ""
    removed_citations: list[int] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.answer

    def to_dict(self) -> dict:
        return asdict(self)


def citation(n: int, chunk: Chunk, quote: str) -> Citation:
    return Citation(n, chunk.id, chunk.path, chunk.start_line, chunk.end_line, chunk.study,
                    chunk.heading, quote)
