"""``casegraph mcp``: the studies as Model Context Protocol tools, served over stdio.

Tools: ``search``, ``ask``, ``concept``, ``compare`` and ``review``, each returning the same
JSON the HTTP API returns. The index (and the embedding model) loads on the first call, so a
coding assistant can start the server cheaply; bad input comes back as a tool error whose
message says what to fix.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from api.answer import AnswerEngine
from api.review_llm import design_review
from api.review_markdown import review_markdown
from index import lookups
from index.settings import Settings
from index.store import Index

INSTRUCTIONS = (
    "casegraph answers from 30 system-design case studies. Use `search` for passages, `ask` "
    "for a cited answer, `concept` for where a technique is used and its alternatives, "
    "`compare` for two studies side by side, and `review` with a plain-text list of your "
    "requirements to get the nearest designs and the decisions your numbers put in question."
)


class _Lazy:
    """The index, loaded once on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._index: Index | None = None
        self._lock = threading.Lock()

    def index(self) -> Index:
        with self._lock:
            if self._index is None:
                from api.loader import load_index

                self._index = load_index(self.settings)
            return self._index


@contextmanager
def _bad_input_as_tool_error() -> Iterator[None]:
    """Bad input (unknown concept or study, blank text) reaches the client with its message;
    the SDK hides the text of any other exception."""
    try:
        yield
    except (ValueError, LookupError) as exc:
        raise ToolError(str(exc)) from exc


def build_server(settings: Settings) -> MCPServer:
    """An MCP server whose tools read the configured index."""
    lazy = _Lazy(settings)
    engine = AnswerEngine(settings)  # one per server: its sentence vectors are kept
    server = MCPServer("casegraph", instructions=INSTRUCTIONS)

    @server.tool()
    def search(query: str, k: int = 5, study: str | None = None) -> dict[str, Any]:
        """Hybrid (BM25 + dense) search over the case-study passages; optional study filter."""
        with _bad_input_as_tool_error():
            if not query.strip() or not 1 <= k <= 50:
                raise ValueError("query must not be blank and k must be between 1 and 50")
            hits = lazy.index().search(query.strip(), k=k, study=study)
            return {"query": query.strip(), "results": [h.to_result() for h in hits]}

    @server.tool()
    def ask(question: str) -> dict[str, Any]:
        """A grounded answer with numbered citations (grounded is false when not covered)."""
        with _bad_input_as_tool_error():
            if not question.strip():
                raise ValueError("question must not be blank: ask something about system design")
            return engine.answer(lazy.index(), question.strip()).to_dict()

    @server.tool()
    def concept(name: str) -> dict[str, Any]:
        """A concept's definition, the studies that use it with evidence, and its alternatives."""
        with _bad_input_as_tool_error():
            return lookups.concept_detail(lazy.index(), name)

    @server.tool()
    def compare(a: str, b: str) -> dict[str, Any]:
        """Two studies (ids such as 01-real-time-chat): shared concepts and decisions on them."""
        with _bad_input_as_tool_error():
            return lookups.compare_studies(lazy.index(), a, b)

    @server.tool()
    def review(requirements: str, studies: int = 3) -> dict[str, Any]:
        """Design review of plain-text requirements (users, QPS, latency, data size): the 3-5
        nearest studies, their decisions with trigger status, estimates, all cited."""
        with _bad_input_as_tool_error():
            if not 3 <= studies <= 5:
                raise ValueError("studies must be between 3 and 5")
            result = design_review(lazy.index(), settings, requirements, studies)
            return {**result.to_dict(), "markdown": review_markdown(result)}

    return server
