"""A vs B: the matching decision record, Decision and Why first, then Trade-off and When to
reconsider, each sentence cited."""

from __future__ import annotations

import re

from api.compose import AnswerBuilder, Context
from api.composers.mechanism import focus
from api.sources import best_decision, decision_record
from api.study_names import study_title

_DEFINE = re.compile(r"\b(difference|differ|what is|what are|explain|versus|vs\.?)\b",
                     re.IGNORECASE)
# (label, shown as, sentences at most)
LAYOUT = (("decision", "Decision", 2), ("why", "Why", 2), ("trade-off", "Trade-off", 2),
          ("when to reconsider", "When to reconsider", 1))


def compose(ctx: Context, builder: AnswerBuilder) -> bool:
    hits = focus(ctx)
    top = hits[0].chunk if hits else None
    lead = top.heading_path[-1] if top and top.heading_path else None
    decision = best_decision(ctx.index, ctx.question, ctx.studies, lead_heading=lead)
    if decision is None:
        return False
    record = decision_record(ctx.index, ctx.question, decision)
    if not record.parts.get("decision"):
        return False
    title = study_title(ctx.index.graph, record.study)
    builder.add(f"**{record.heading}** ({title})")
    layout = list(LAYOUT)
    if _DEFINE.search(ctx.question):
        layout.insert(0, ("context", "Context", 2))
    for label, shown, most in layout:
        pieces = record.parts.get(label, [])[:most]
        if pieces:
            cited = " ".join(builder.cited(p.chunk, p.sentence.raw) for p in pieces)
            builder.add(f"**{shown}:** {cited}")
    return True
