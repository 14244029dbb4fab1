"""The design review as configured: offline, or with an LLM writing the summary.

With ``CASEGRAPH_LLM_BASE_URL`` set, the LLM gets the offline review's material (the
requirements read, nearest studies, decisions with their trigger status, estimates) and its
numbered citations, and writes the summary; every ``[n]`` in it is checked as ``/ask`` checks
them. When the LLM fails or cites nothing valid, the offline summary stays, with a notice.
"""

from __future__ import annotations

import re

from api.llm import check_citations, make_llm
from api.review import Review, review
from index.settings import Settings
from index.store import Index

MAX_DECISIONS = 4  # known-status decisions handed over, most pressing first
QUOTE_CHARS = 240  # of each source, to keep the prompt small for local models
_CITE = re.compile(r"\[(\d{1,3})\]")
SYSTEM_PROMPT = (
    "You are a senior engineer preparing a design review. Using only the material and the "
    "numbered sources given, write at most 8 sentences: which proven designs fit the "
    "requirements, which of their decisions the user's numbers put in question and why, and "
    "what the estimates imply. Cite every claim with its source number in square brackets, "
    "like [2]."
)


def design_review(index: Index, settings: Settings, text: str, studies: int = 3) -> Review:
    """The review of ``text``: offline, then summarised by the LLM when one is configured."""
    result = review(index, text, studies)
    if settings.llm_base_url:
        summarise_with_llm(settings, result)
    return result


def material(result: Review) -> tuple[str, list[int]]:
    """The review as plain text for the prompt, and the citation numbers it uses, in order."""
    lines = ["Requirements read: " + "; ".join(
        f"{q['shown']} {q['measure']}" for q in result.requirements["quantities"])]
    for s in result.nearest:
        lines.append(f"Nearest study: {s.title} [{s.citation}]"
                     + (f", shared concepts {', '.join(s.shared_concepts)}" if s.shared_concepts
                        else ""))
    for d in [d for d in result.decisions if d.status != "unknown"][:MAX_DECISIONS]:
        cites = " ".join(f"[{n}]" for n in d.citations.values())
        lines.append(f"Decision {d.study_title}: {d.heading}; chose: {d.choice[:200]}; "
                     f"trigger status for the user's numbers: {d.status} {cites}")
    for e in result.envelope:
        lines.append(f"Estimate {e.label}: {e.working} = {e.value}")
    text = "\n".join(lines)
    used = sorted({int(n) for n in _CITE.findall(text)})
    return text, used


def summarise_with_llm(settings: Settings, result: Review) -> None:
    """Replace the summary with the LLM's, checked; keep the offline one on any failure.

    The LLM sees only the sources the material cites, numbered 1..m; its numbers are checked
    against those and mapped back to the review's own citation numbers.
    """
    from llama_index.core.llms import ChatMessage

    text, used = material(result)
    local = {n: i for i, n in enumerate(used, 1)}
    text = _CITE.sub(lambda m: f"[{local[int(m.group(1))]}]", text)
    by_n = {c.n: c for c in result.citations}
    sources = "\n\n".join(f"[{i}] {by_n[n].study} / {by_n[n].heading}\n"
                           f"{by_n[n].quote[:QUOTE_CHARS]}" for n, i in local.items())
    messages = [
        ChatMessage(role="system", content=SYSTEM_PROMPT),
        ChatMessage(role="user", content=f"Sources:\n\n{sources}\n\nMaterial:\n{text}\n\n"
                                         f"Requirements:\n{result.requirements['text']}"),
    ]
    try:
        reply = make_llm(settings).chat(messages).message.content or ""
    except Exception as exc:
        result.notice = f"The LLM failed ({type(exc).__name__}); this is the offline review."
        return
    checked, valid, removed = check_citations(reply.strip(), len(used))
    if not valid:
        result.notice = "The LLM cited no source, so the offline summary is shown."
        return
    result.summary = _CITE.sub(lambda m: f"[{used[int(m.group(1)) - 1]}]", checked)
    result.mode = "llm"
    if removed:
        result.notice = f"Removed citations to unknown sources: {removed}."
