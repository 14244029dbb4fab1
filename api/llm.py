"""LLM answers through llama-index's OpenAI-compatible client, with citations checked.

The LLM gets the question's intent and the same numbered sources the offline answer cites,
each with the structured evidence the offline composer picked from it (decision fields,
table rows, sentences), then more retrieved passages up to ``MAX_SOURCES``. Every ``[n]`` in
its reply must name one of them: unknown numbers are removed and reported, and a reply with
no valid citation is not called grounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from api.answer_types import Answer, Citation, citation
from api.compose import Context
from index.settings import Settings
from index.store import Hit, Index
from index.text import sentences

SYSTEM_PROMPT = (
    "You answer system-design questions using only the numbered sources provided. "
    "Cite every claim with the source number in square brackets, like [2]. "
    "If the sources do not answer the question, say so. Be concise: at most 6 sentences."
)
INTENT_GUIDE = {
    "choice": "Lead with the decision taken and why, then its trade-off and when to reconsider.",
    "comparison": "Compare the studies side by side; a small markdown table is welcome.",
    "estimate": "Give the study's own numbers and how they are derived.",
    "failure": "List the failure scenarios with detection and mitigation.",
    "mechanism": "Explain how it works, step by step.",
}
SOURCE_WORDS = 180
MAX_SOURCES = 5
_CITE = re.compile(r"\[(\d{1,3})\]")


class LLMFailure(RuntimeError):
    """The LLM endpoint errored, timed out or returned nothing."""


def build_sources(index: Index, hits: list[Hit], composed: Answer | None = None,
                  limit: int = MAX_SOURCES) -> tuple[str, list[Citation]]:
    """Numbered source blocks for the prompt, and the citation each number stands for.

    The offline answer's citations come first, keeping their numbers, each with the lines of
    that answer that cite it as its evidence; retrieved passages fill the remaining numbers.
    """
    cites = list(composed.citations[:limit]) if composed else []
    evidence = {c.n: _lines_citing(composed.answer, c.n) for c in cites} if composed else {}
    seen = {c.chunk_id for c in cites}
    for hit in hits:
        if len(cites) >= limit:
            break
        if hit.chunk.id in seen:
            continue
        seen.add(hit.chunk.id)
        first = sentences(hit.chunk.text)
        cites.append(citation(len(cites) + 1, hit.chunk,
                              first[0].raw if first else hit.chunk.text[:200]))
    blocks = []
    for c in cites:
        chunk = index.chunk(c.chunk_id)
        text = chunk.text if chunk else c.quote
        words = text.split()
        body = " ".join(words[:SOURCE_WORDS]) + (" ..." if len(words) > SOURCE_WORDS else "")
        title = chunk.study_title if chunk else c.study
        block = f"[{c.n}] {title} / {c.heading}\n"
        if evidence.get(c.n):
            block += "Key evidence:\n" + "\n".join(evidence[c.n]) + "\nPassage: "
        blocks.append(block + body)
    return "\n\n".join(blocks), cites


def _lines_citing(text: str, n: int) -> list[str]:
    """Lines (sentences, table rows) of an answer that cite ``[n]``, markers removed."""
    marker = f"[{n}]"
    return [_CITE.sub("", line).strip() for line in text.splitlines() if marker in line]


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


def stream_llm_answer(settings: Settings, question: str, ctx: Context,
                      composed: Answer | None = None) -> Iterator[tuple[str, object]]:
    """Token events from the LLM, then the checked citations, then the final answer."""
    from llama_index.core.llms import ChatMessage

    query = ctx.question
    context, cites = build_sources(ctx.index, ctx.hits, composed)
    guide = INTENT_GUIDE.get(ctx.intent, INTENT_GUIDE["mechanism"])
    messages = [
        ChatMessage(role="system", content=SYSTEM_PROMPT),
        ChatMessage(role="user", content=f"Sources:\n\n{context}\n\nQuestion: {question}\n"
                                         f"Question type: {ctx.intent}. {guide}"),
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
