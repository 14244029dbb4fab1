"""LLM answers through llama-index's OpenAI-compatible client, with citations checked.

The LLM sees the same numbered sources the offline answer would cite. Every ``[n]`` in its
reply must name one of them: unknown numbers are removed and reported, and a reply with no
valid citation is not called grounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from api.answer_types import Answer, Citation, citation
from index.settings import Settings
from index.store import Hit
from index.text import sentences

SYSTEM_PROMPT = (
    "You answer system-design questions using only the numbered sources provided. "
    "Cite every claim with the source number in square brackets, like [2]. "
    "If the sources do not answer the question, say so. Be concise: at most 6 sentences."
)
SOURCE_WORDS = 180
_CITE = re.compile(r"\[(\d{1,3})\]")


class LLMFailure(RuntimeError):
    """The LLM endpoint errored, timed out or returned nothing."""


def build_sources(hits: list[Hit], limit: int = 5) -> tuple[str, list[Citation]]:
    """Numbered source blocks for the prompt, and the citation each number stands for."""
    blocks, cites = [], []
    for n, hit in enumerate(hits[:limit], 1):
        chunk = hit.chunk
        words = chunk.text.split()
        body = " ".join(words[:SOURCE_WORDS]) + (" ..." if len(words) > SOURCE_WORDS else "")
        blocks.append(f"[{n}] {chunk.study_title} / {chunk.heading}\n{body}")
        first = sentences(chunk.text)
        cites.append(citation(n, chunk, first[0].raw if first else chunk.text[:200]))
    return "\n\n".join(blocks), cites


def check_citations(text: str, allowed: int) -> tuple[str, list[int], list[int]]:
    """Strip citations outside 1..allowed; return cleaned text, valid and removed numbers."""
    valid, removed = [], []

    def keep(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if 1 <= n <= allowed:
            valid.append(n)
            return m.group(0)
        removed.append(n)
        return ""

    cleaned = _CITE.sub(keep, text)
    return re.sub(r"[ \t]+([.,;:])", r"\1", cleaned).strip(), sorted(set(valid)), sorted(set(removed))


def make_llm(settings: Settings):
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=settings.llm_model, api_base=settings.llm_base_url, api_key=settings.llm_api_key,
        timeout=settings.llm_timeout_s, max_retries=0, max_tokens=settings.llm_max_tokens,
        is_chat_model=True, temperature=0.1,
    )


def stream_llm_answer(settings: Settings, question: str, query: str,
                      hits: list[Hit]) -> Iterator[tuple[str, object]]:
    """Token events from the LLM, then the checked citations, then the final answer."""
    from llama_index.core.llms import ChatMessage

    context, cites = build_sources(hits)
    messages = [
        ChatMessage(role="system", content=SYSTEM_PROMPT),
        ChatMessage(role="user", content=f"Sources:\n\n{context}\n\nQuestion: {question}"),
    ]
    parts: list[str] = []
    try:
        for delta in make_llm(settings).stream_chat(messages):
            if delta.delta:
                parts.append(delta.delta)
                yield "token", delta.delta
    except Exception as exc:
        raise LLMFailure(f"{type(exc).__name__}: {exc}") from exc
    raw = "".join(parts).strip()
    if not raw:
        raise LLMFailure("empty reply")
    text, valid, removed = check_citations(raw, len(cites))
    used = [c for c in cites if c.n in valid]
    notice = f"Removed citations to unknown sources: {removed}." if removed else ""
    if not used:
        notice = (notice + " The LLM cited no source, so this answer is not grounded.").strip()
    answer = Answer(text, used, bool(used), "llm", notice=notice, query=query,
                    removed_citations=removed)
    yield "citations", used
    yield "done", answer
