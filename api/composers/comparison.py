"""Two or more studies side by side: a table built from each study's best passages and
matching decision, plus the concepts the graph says they share."""

from __future__ import annotations

from api import extractive
from api.compose import AnswerBuilder, Context
from api.sources import best_decision, decision_record
from api.study_names import study_title
from index.lookups import compare_studies

MAX_STUDIES = 3
PER_STUDY_HITS = 6
DECISION_MIN_SCORE = 0.45
SHARED_SHOWN = 8


def _column(ctx: Context, builder: AnswerBuilder, study: str) -> list[str]:
    """Cells for one study: its two best sentences and its matching decision."""
    hits = ctx.index.search(ctx.question, k=PER_STUDY_HITS, study=study)
    cells = ["", "", ""]
    used: set[tuple[str, int]] = set()
    decision = best_decision(ctx.index, ctx.question, [study], min_score=DECISION_MIN_SCORE)
    if decision is not None:
        pieces = decision_record(ctx.index, ctx.question, decision).parts.get("decision", [])
        if pieces:
            shown = " ".join(builder.cited(p.chunk, p.sentence.raw) for p in pieces[:2])
            cells[2] = f"*{decision['heading']}:* {shown}"
            used = {(p.chunk.id, p.sentence.start) for p in pieces[:2]}
    picked = [p for p in extractive.select(ctx.index, ctx.question, hits, n=4, tips=ctx.tips)
              if (p.hit.chunk.id, p.sentence.start) not in used][:2]
    for i, p in enumerate(picked):
        cells[i] = builder.cited(p.hit.chunk, p.sentence.raw)
    return cells


def compose(ctx: Context, builder: AnswerBuilder) -> bool:
    studies = ctx.studies[:MAX_STUDIES]
    if len(studies) < 2:
        return False
    titles = [study_title(ctx.index.graph, s) for s in studies]
    columns = [_column(ctx, builder, s) for s in studies]
    if builder.empty:
        return False
    builder.add(" vs ".join(f"**{t}**" for t in titles) + ", side by side:")
    labels = ["Approach", "Detail", "Key decision"]
    rows = [[label, *(col[i] for col in columns)] for i, label in enumerate(labels)
            if any(col[i] for col in columns)]
    builder.table(["", *titles], rows)
    shared = compare_studies(ctx.index, studies[0], studies[1])["shared_concepts"]
    if shared:
        names = ", ".join(c["name"] for c in shared[:SHARED_SHOWN])
        builder.add(f"Concepts both cover (concept graph): {names}.")
    return True
