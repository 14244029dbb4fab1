"""Which case studies a question names ("the hotel reservation system", "the CDN")."""

from __future__ import annotations

import re
from functools import lru_cache

from index.graph import KnowledgeGraph

# Words that end many titles and say nothing about which study is meant.
_GENERIC = {"system", "systems", "platform", "service", "engine", "dashboard", "pipeline",
            "app", "application", "design", "processor", "network"}


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9&]+", " ", text.lower()).split())


def _phrases(study: dict) -> set[str]:
    """Ways a question may name a study: its title, the title without generic words (when
    two or more words remain), the words of its id, and the acronym of a network (``CDN``)."""
    title = _norm(study.get("title", ""))
    words = title.split()
    core = words[:]
    while core and core[-1] in _GENERIC | {"&"}:
        core.pop()
    slug = _norm(re.sub(r"^\d+-", "", study["id"]))
    found = {title, slug}
    if len(core) >= 2:
        found.add(" ".join(core))
    if len(words) >= 3 and words[-1] == "network":
        found.add("".join(w[0] for w in words))
    return {p for p in found if len(p) >= 3}


@lru_cache(maxsize=8)
def _patterns(graph: KnowledgeGraph) -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for study in graph.studies():
        for phrase in sorted(_phrases(study), key=len, reverse=True):
            patterns.append((study["id"], re.compile(rf"(?<![a-z0-9]){re.escape(phrase)}"
                                                     rf"(?![a-z0-9])")))
    return patterns


def named_studies(graph: KnowledgeGraph, text: str) -> list[str]:
    """Study ids named in ``text``, in order of first mention."""
    norm = _norm(text)
    first: dict[str, int] = {}
    for study, pattern in _patterns(graph):
        m = pattern.search(norm)
        if m and (study not in first or m.start() < first[study]):
            first[study] = m.start()
    return sorted(first, key=first.get)


def without_study_names(graph: KnowledgeGraph, text: str) -> str:
    """``text`` without the phrases that name studies ("the hotel reservation system"), so
    that a search already filtered to the study ranks passages by what is asked about it."""
    norm = _norm(text)
    for _, pattern in _patterns(graph):
        norm = pattern.sub(" ", norm)
    norm = re.sub(r"\b(the|of|in|for)\s+(?=(the|of|in|for)?\s*$)", " ", norm)
    return " ".join(norm.split()) or text


def study_title(graph: KnowledgeGraph, study_id: str) -> str:
    return (graph.study(study_id) or {}).get("title", study_id)
