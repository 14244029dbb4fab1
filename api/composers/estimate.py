"""Numbers: the study's own back-of-the-envelope lines and table rows that match the
question, from the study the question is about and no other."""

from __future__ import annotations

import re

from api.compose import AnswerBuilder, Context
from api.hygiene import clean_sentences
from api.sources import Row, heading_before, question_terms, table_rows
from api.study_names import study_title
from index.lexical import tokenize
from index.store import Hit
from index.text import Sentence

REQUIREMENTS_CHAPTER = "requirements"
SHOWN = 4
ROWS_SHOWN = 6
KEEP = 0.6  # show lines scoring at least this share of the best one
_DIGIT = re.compile(r"\d")


class _Scorer:
    """IDF-weighted share of the question's terms found in a line and its context."""

    def __init__(self, ctx: Context, hits: list[Hit]):
        self.idf = ctx.index.term_idf
        titles = " ".join(study_title(ctx.index.graph, s) for s in ctx.studies)
        self.query = question_terms(ctx.question, titles)
        self.total = sum(self.idf.get(t, 1.0) for t in self.query) or 1.0
        self.top = (hits[0].score if hits else 0.0) or 1.0

    def __call__(self, hit: Hit, text: str) -> float:
        terms = set(tokenize([text])[0])
        score = sum(self.idf.get(t, 1.0) for t in self.query & terms) / self.total
        score += 0.2 * (hit.chunk.chapter == REQUIREMENTS_CHAPTER)
        return score + 0.2 * hit.score / self.top


def _sentences(ctx: Context, hits: list[Hit], score: _Scorer) -> list[tuple[float, Hit, Sentence]]:
    out = []
    for hit in hits:
        for s in clean_sentences(hit.chunk, ctx.tips):
            if _DIGIT.search(s.raw):
                bonus = 0.1 * ("=" in s.raw or "**" in s.raw)
                out.append((score(hit, f"{s.raw} {heading_before(hit.chunk, s.start)}") + bonus,
                            hit, s))
    return sorted(out, key=lambda item: -item[0])


def _rows(hits: list[Hit], score: _Scorer) -> list[tuple[float, Row]]:
    out = []
    seen: set[str] = set()
    for hit in hits:
        if hit.chunk.id in seen:
            continue
        seen.add(hit.chunk.id)
        for row in table_rows(hit.chunk):
            if _DIGIT.search(row.raw):
                context = " ".join([*row.cells, *row.header, row.section])
                out.append((score(hit, context), row))
    return sorted(out, key=lambda item: -item[0])


def compose(ctx: Context, builder: AnswerBuilder) -> bool:
    study = ctx.studies[0]
    hits = ctx.index.search(ctx.question, k=8, study=study)
    score = _Scorer(ctx, hits)
    lines = _sentences(ctx, hits, score)
    rows = _rows(hits, score)
    if not lines and not rows:
        return False
    best = max(lines[0][0] if lines else 0.0, rows[0][0] if rows else 0.0)
    chosen = [(h, s) for sc, h, s in lines[:SHOWN] if sc >= KEEP * best]
    chosen.sort(key=lambda item: (item[0].chunk.path, item[0].chunk.start_line, item[1].start))
    builder.add(f"**{study_title(ctx.index.graph, study)}** estimates:")
    if chosen:
        builder.add("\n".join(f"- {builder.cited(h.chunk, s.raw)}" for h, s in chosen))
    table = [r for sc, r in rows[:ROWS_SHOWN] if sc >= KEEP * best]
    if table:
        same = [r for r in table if r.header == table[0].header]
        builder.table([*same[0].header, "Source"],
                      [[*r.cells, f"[{builder.cite(r.chunk, r.raw)}]"] for r in same])
    return not builder.empty
