"""Failure scenarios: rows of the study's failure table (failure, detection, mitigation,
data at risk), the rows the question names or the whole table when it asks in general."""

from __future__ import annotations

import re

from api.compose import AnswerBuilder, Context
from api.composers.mechanism import focus, prose
from api.sources import Row, file_chunks, question_terms, table_rows
from api.study_names import study_title
from index.lexical import tokenize

WRAP_UP_CHAPTER = "wrap-up"
MAX_ROWS = 12
SPECIFIC_ROWS = 3
NAMED = 0.25  # share of the question's terms a row must contain to count as named
_FAILURE_SECTION = re.compile(r"failure", re.IGNORECASE)
# Words that say "failure" without naming which one.
_GENERAL = ("fail failure failures failover scenario scenarios main key common happen happens "
            "what which plan handle handles recover recovery design system platform service "
            "break breaks wrong go goes kind kinds type types list")


def failure_rows(ctx: Context, study: str) -> list[Row]:
    chunks = file_chunks(ctx.index, ctx.question, study, WRAP_UP_CHAPTER)
    return [r for c in chunks for r in table_rows(c) if _FAILURE_SECTION.search(r.section)]


def _matching(ctx: Context, rows: list[Row], study: str) -> list[Row]:
    """Rows the question is about, best first; every row when it names none in particular."""
    idf = ctx.index.term_idf
    query = question_terms(ctx.question, f"{_GENERAL} {study_title(ctx.index.graph, study)}")
    if not query:
        return rows[:MAX_ROWS]
    total = sum(idf.get(t, 1.0) for t in query)

    def share(text: str) -> float:
        return sum(idf.get(t, 1.0) for t in query & set(tokenize([text])[0])) / total

    # The failure column names the scenario; the other columns only break ties.
    scored = sorted(((share(r.cells[0]), share(" ".join(r.cells[1:])), i, r)
                     for i, r in enumerate(rows)), key=lambda x: (-x[0], -x[1], x[2]))
    best_first, best_rest = scored[0][0], max(x[1] for x in scored)
    if best_first >= NAMED:
        return [r for f, _, _, r in scored[:SPECIFIC_ROWS] if f >= 0.5 * best_first]
    if best_rest >= NAMED:
        scored.sort(key=lambda x: (-x[1], x[2]))
        return [r for _, rest, _, r in scored[:SPECIFIC_ROWS] if rest >= 0.5 * best_rest]
    return rows[:MAX_ROWS]


def compose(ctx: Context, builder: AnswerBuilder) -> bool:
    study = ctx.studies[0]
    rows = failure_rows(ctx, study)
    if not rows:
        return False
    shown = _matching(ctx, rows, study)
    header = rows[0].header
    builder.add(f"**{study_title(ctx.index.graph, study)}: failure scenarios**")
    builder.table([*header, "Source"],
                  [[*r.cells, f"[{builder.cite(r.chunk, r.raw)}]"] for r in shown])
    if len(shown) <= 2:
        prose(ctx, builder, [h for h in focus(ctx) if h.chunk.study == study], 2)
    return True
