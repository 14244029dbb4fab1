"""The chunk record and its on-disk format, ``chunks.jsonl`` (one JSON object a line)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

CHUNKS_FILE = "chunks.jsonl"


@dataclass
class Chunk:
    """A passage of one source file, the unit of search and citation."""

    id: str
    path: str
    start_line: int
    end_line: int
    heading_path: list[str]
    study: str
    study_title: str
    chapter: str
    text: str
    concepts: list[str] = field(default_factory=list)
    embed_hash: str = ""

    @property
    def heading(self) -> str:
        return " > ".join(self.heading_path)

    @property
    def words(self) -> int:
        return len(self.text.split())

    def lines_text(self, start: int, end: int) -> str:
        """The text of file lines ``start``-``end`` (1-based, inclusive) that lie in this chunk."""
        lines = self.text.split("\n")
        first = self.end_line - len(lines) + 1  # the text ends on ``end_line``
        return "\n".join(lines[max(start - first, 0):max(end - first + 1, 0)]).strip()

    def embedding_text(self) -> str:
        """What the embedder and BM25 see: the passage with its study and heading context."""
        context = " > ".join([self.study_title, *self.heading_path])
        return f"{context}\n{self.text}"

    def to_result(self, score: float) -> dict:
        """The public shape of a search hit (CLI ``--json`` and ``GET /search``)."""
        return {
            "chunk_id": self.id,
            "score": round(float(score), 6),
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "study": self.study,
            "study_title": self.study_title,
            "chapter": self.chapter,
            "heading": self.heading,
            "text": self.text,
            "concepts": self.concepts,
        }


def write_chunks(directory: Path, chunks: list[Chunk]) -> None:
    with open(directory / CHUNKS_FILE, "w", encoding="utf-8") as f:
        for chunk in chunks:
            f.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")


def read_chunks(directory: Path) -> list[Chunk]:
    with open(directory / CHUNKS_FILE, encoding="utf-8") as f:
        return [Chunk(**json.loads(line)) for line in f if line.strip()]
