"""Offline answers: pick the retrieved sentences that best answer a question.

Sentences come from ``api.hygiene`` (no navigation lines, no tips unless asked for, no
dangling pronoun openers). Relevance mixes the passage's retrieval rank, IDF-weighted overlap
of the question's stemmed terms with the sentence, and shared concepts; maximal marginal
relevance keeps the picks from repeating each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.hygiene import MAX_WORDS as MAX_SENTENCE_WORDS
from api.hygiene import clean_sentences
from api.similarity import SentenceSimilarity
from index.lexical import tokenize
from index.store import Hit, Index
from index.text import Sentence

PER_CHUNK = 2
MIN_RELATIVE_RELEVANCE = 0.55


@dataclass
class Picked:
    """A chosen sentence, the hit it came from, and its relevance."""

    sentence: Sentence
    hit: Hit
    relevance: float
    overlap: float


def _weighted_overlap(query: set[str], tokens: set[str], idf: dict[str, float]) -> float:
    total = sum(idf.get(t, 1.0) for t in query)
    return sum(idf.get(t, 1.0) for t in query & tokens) / total if total else 0.0


@dataclass
class Focus:
    """Optional refinements of sentence relevance.

    ``ignore`` drops question terms that say nothing about the answer (the study's own name,
    once the study is known); ``chapter_weight`` favours the chapters that hold this kind of
    answer; ``similarity`` adds the sentence's closeness in meaning to the question.
    """

    ignore: frozenset[str] = frozenset()
    chapter_weight: dict[str, float] = field(default_factory=dict)
    similarity: SentenceSimilarity | None = None


def _with_label(passage: str, sentence: Sentence) -> str:
    """The sentence with what precedes it on its line (a bullet's bold label such as
    "**No double booking:**"), which says what the sentence is about."""
    line_start = passage.rfind("\n", 0, sentence.start) + 1
    return f"{passage[line_start:sentence.start]} {sentence.text}"


def candidates(index: Index, question: str, hits: list[Hit], tips: bool = False,
               focus: Focus | None = None) -> list[tuple[Picked, set[str]]]:
    """Every quotable prose sentence of the hits, scored for relevance, with its term set."""
    if not hits:
        return []
    idf = index.term_idf
    focus = focus or Focus()
    query = set(tokenize([question])[0]) - focus.ignore
    q_concepts = set(index.matcher.find(question))
    pool = [(hit, rank, s) for rank, hit in enumerate(hits) for s in clean_sentences(hit.chunk, tips)
            if len(s.text.split()) <= MAX_SENTENCE_WORDS]
    token_sets = ([set(t) for t in tokenize([_with_label(h.chunk.text, s) for h, _, s in pool])]
                  if pool else [])
    top = hits[0].score or 1.0
    meaning = (focus.similarity.scores(question, [s.text for _, _, s in pool])
               if focus.similarity is not None else [0.0] * len(pool))
    scored = []
    for (hit, rank, sentence), tokens, cosine in zip(pool, token_sets, meaning, strict=True):
        overlap = _weighted_overlap(query, tokens, idf)
        shared = q_concepts & set(index.matcher.find(sentence.text))
        relevance = 0.4 * (hit.score / top) + 0.5 * overlap + (0.15 if shared else 0.0)
        relevance += 0.6 * cosine + focus.chapter_weight.get(hit.chunk.chapter, 0.0)
        relevance -= 0.01 * rank
        scored.append((Picked(sentence, hit, relevance, overlap), tokens))
    return scored


def select(index: Index, question: str, hits: list[Hit], n: int = 5,
           diversity: float = 0.3, tips: bool = False, focus: Focus | None = None) -> list[Picked]:
    """Up to ``n`` sentences by maximal marginal relevance, at most two per passage, none
    far less relevant than the best one."""
    pool = candidates(index, question, hits, tips, focus)
    if pool:
        floor = MIN_RELATIVE_RELEVANCE * max(p.relevance for p, _ in pool)
        pool = [item for item in pool if item[0].relevance >= floor]
    chosen: list[tuple[Picked, set[str]]] = []
    per_chunk: dict[str, int] = {}
    while pool and len(chosen) < n:
        def mmr(item: tuple[Picked, set[str]]) -> float:
            picked, tokens = item
            redundancy = max((len(tokens & t) / (len(tokens | t) or 1) for _, t in chosen),
                             default=0.0)
            return (1 - diversity) * picked.relevance - diversity * redundancy

        best = max(pool, key=mmr)
        pool.remove(best)
        cid = best[0].hit.chunk.id
        if per_chunk.get(cid, 0) >= PER_CHUNK or best[0].overlap == 0:
            continue
        per_chunk[cid] = per_chunk.get(cid, 0) + 1
        chosen.append(best)
    return [p for p, _ in chosen]
