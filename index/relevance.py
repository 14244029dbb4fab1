"""How well a search hit matches its query, in terms a reader can check.

Two measures: the cosine similarity of the query and passage vectors, and the keyword match:
the *share* of the query's terms, weighted by inverse document frequency, that the passage
contains (0..1), and their *weight* in units of the rarest term of the index (so one common
word such as "one" weighs little, one rare name close to 1). A hit is weak when its cosine is
under ``cosine``; without a cosine (BM25-only search, or the keyword-only index of a first
start) when the share is under ``keyword_share`` or the weight under ``keyword_weight``.
The default thresholds come from ``bench/questions.jsonl`` (docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from index.lexical import tokenize


@dataclass(frozen=True)
class KeywordMatch:
    """The query terms a passage contains: their share of the query, and their weight."""

    share: float
    weight: float


@dataclass(frozen=True)
class WeakBelow:
    """Thresholds under which a hit counts as a weak match."""

    cosine: float = 0.30
    keyword_share: float = 0.25
    keyword_weight: float = 1.0

    def weak(self, cosine: float | None, keywords: KeywordMatch) -> bool:
        if cosine is not None:
            return cosine < self.cosine
        return keywords.share < self.keyword_share or keywords.weight < self.keyword_weight


def keyword_matches(query: str, passages: list[str], idf: dict[str, float]) -> list[KeywordMatch]:
    """How each passage matches the query's terms. A term the index has never seen weighs as
    much as the rarest one it has."""
    terms = set(tokenize([query])[0])
    if not terms or not passages:
        return [KeywordMatch(0.0, 0.0)] * len(passages)
    rarest = max(idf.values(), default=1.0)
    weight = {t: idf.get(t, rarest) for t in terms}
    total = sum(weight.values())
    found = [sum(weight[t] for t in terms.intersection(passage_terms(p))) for p in passages]
    return [KeywordMatch(w / total, w / rarest) for w in found]


@lru_cache(maxsize=20_000)
def passage_terms(text: str) -> frozenset[str]:
    """The stemmed terms of a passage (cached: the same passages come back query after query)."""
    return frozenset(tokenize([text])[0])


def relevance_label(result: dict) -> str:
    """A search result's relevance in words: "cosine 0.61 · keyword match 67%"."""
    parts = [] if result.get("cosine") is None else [f"cosine {result['cosine']:.2f}"]
    parts.append(f"keyword match {result['keyword']:.0%}" if result.get("bm25")
                 else "no keyword match")
    return " · ".join(parts)
