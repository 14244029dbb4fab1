"""Request and response models of the HTTP API (they also document it at ``/docs``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from api.answer_types import Citation
from api.requirements import MAX_REQUIREMENTS, check_text
from index.sanitize import first_bad_character

MAX_TEXT = 1000


def plain_text(field: str, value: str) -> str:
    """``value`` unchanged, or a ValueError naming the offending character's position."""
    at = first_bad_character(value)
    if at is not None:
        raise ValueError(f"{field} has an invalid character at position {at} (a lone surrogate "
                         "or a control character): send plain UTF-8 text")
    return value


class HistoryTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)

    @field_validator("content")
    @classmethod
    def content_is_text(cls, value: str) -> str:
        return plain_text("content", value)


class AskRequest(BaseModel):
    question: str = Field(
        description="A system-design question (1-1000 characters).",
        examples=["How does a chat service keep message order per conversation?"],
    )
    k: int = Field(8, ge=1, le=50, description="Passages to retrieve (1-50).")
    history: list[HistoryTurn] = Field(
        default_factory=list, max_length=50,
        description="Earlier turns, oldest first, so follow-ups resolve against them.",
    )

    @field_validator("question")
    @classmethod
    def question_is_usable(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("question must not be empty: ask something about system design")
        if len(value) > MAX_TEXT:
            raise ValueError(f"question is {len(value)} characters; shorten it to at most {MAX_TEXT}")
        return plain_text("question", value)


class ReviewRequest(BaseModel):
    requirements: str = Field(
        description=f"Your system's requirements in plain text (1-{MAX_REQUIREMENTS} characters): "
                    "users, QPS, read/write ratio, latency and durability targets, data size.",
        examples=["Chat app for 100M users, groups up to 10,000 members, p99 delivery under "
                  "50 ms, 20K messages/s at peak, messages of about 1 KB kept for 2 years."],
    )
    studies: int = Field(3, ge=3, le=5, description="How many nearest studies to review (3-5).")

    @field_validator("requirements")
    @classmethod
    def requirements_are_usable(cls, value: str) -> str:
        return plain_text("requirements", check_text(value))


class SearchResult(BaseModel):
    chunk_id: str
    score: float
    path: str
    start_line: int
    end_line: int
    study: str
    study_title: str
    chapter: str
    heading: str
    text: str
    concepts: list[str]
    cosine: float | None = Field(description="Cosine similarity of the query and the passage "
                                 "(None when the passage is outside the semantic ranking, or "
                                 "the index is keyword-only).")
    bm25: float | None = Field(description="BM25 score (None when no query term matches).")
    keyword: float = Field(description="Share of the query's terms, weighted by rarity, that "
                           "the passage contains (0-1).")
    weak: bool = Field(description="A weak match: cosine under CASEGRAPH_WEAK_COSINE, or "
                       "without a cosine, a low keyword share or BM25 score.")


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]
    keyword_only: bool = Field(False, description="True while a first start serves keyword "
                               "(BM25) results and the semantic index is still being built.")
    notice: str = ""


class AskResponse(BaseModel):
    answer: str
    citations: list[Citation]
    grounded: bool
    mode: Literal["extractive", "llm"]
    route: Literal["search", "graph", "declined"]
    notice: str = ""
    query: str = ""
    removed_citations: list[int] = Field(default_factory=list)
    keyword_only: bool = False

    model_config = {"json_schema_extra": {"examples": [{
        "answer": "**Distributed Cache:** Keys are placed with consistent hashing ... [1]",
        "citations": [{"n": 1, "chunk_id": "case-studies/18-distributed-cache/02-architecture#ab12",
                       "path": "case-studies/18-distributed-cache/02-architecture.md",
                       "start_line": 40, "end_line": 58, "study": "18-distributed-cache",
                       "heading": "Architecture Design > Components", "quote": "Keys are ..."}],
        "grounded": True, "mode": "extractive", "route": "search",
    }]}}


class BuildStatus(BaseModel):
    stage: str
    embedded: int = Field(description="Passages with vectors so far.")
    total: int = Field(description="Passages in the build.")


class Health(BaseModel):
    status: Literal["ok", "keyword-only", "building", "unavailable"] = Field(
        description="ok: hybrid search; keyword-only: a first start answers with BM25 while "
                    "the semantic index builds; building: nothing to serve yet.")
    message: str
    build: BuildStatus | None = None
    model: str
    counts: dict[str, int] = Field(default_factory=dict)
    dimension: int | None = None
    built_at: str | None = None
    build_seconds: float | None = None
    version: str | None = None
    store: str = "files"
    llm: bool = False
