"""Where a concept is used: from the graph, each study with one cited sentence of evidence.

A study that weighed the concept in an ``A vs B`` decision and chose the other option is
listed apart as "considered and rejected"; the count in the heading is the count listed.
"""

from __future__ import annotations

from api.compose import AnswerBuilder
from api.hygiene import clean_sentences
from api.study_names import study_title
from index.concepts import Concept
from index.lookups import best_chunks
from index.store import Index


def rejected_in(index: Index, study: str, concept_id: str, declared: bool) -> dict | None:
    """The decision in which ``study`` weighed the concept and chose otherwise, if any."""
    if declared:
        return None
    weighed = None
    for d in index.graph.decisions(study):
        options = d.get("concepts", [])
        if not any(concept_id in cs for cs in options):
            continue
        if concept_id in index.matcher.find(d["decision"]):
            return None
        weighed = weighed or d
    return weighed


def _evidence(index: Index, builder: AnswerBuilder, chunk_ids: list[str], concept: Concept,
              prefer_heading: str | None = None) -> str | None:
    """The first quotable sentence naming the concept in the study's best passage, cited."""
    chunks = best_chunks(index, chunk_ids, concept.id, 5)
    if prefer_heading:
        chunks.sort(key=lambda c: prefer_heading not in c.heading)
    for chunk in chunks:
        for s in clean_sentences(chunk):
            if concept.id in index.matcher.find(s.raw):
                return builder.cited(chunk, s.raw)
    return None


def compose(index: Index, concept: Concept, builder: AnswerBuilder) -> bool:
    used, rejected = [], []
    for row in index.graph.studies_using(concept.id):
        if not (row["declared"] or row["mentions"] >= 1):
            continue
        decision = rejected_in(index, row["study"], concept.id, row["declared"])
        title = study_title(index.graph, row["study"])
        if decision is not None:
            quote = _evidence(index, builder, row["chunks"], concept, decision["heading"])
            if quote:
                rejected.append(f"- **{title}** ({decision['heading']}): {quote}")
            continue
        quote = _evidence(index, builder, row["chunks"], concept)
        if quote:
            used.append(f"- **{title}**: {quote}")
        elif row["declared"]:
            used.append(f"- **{title}** lists {concept.name} among its key concepts.")
    if builder.empty:
        return False
    n = len(used)
    head = f"{concept.name} is used in {n} case stud{'y' if n == 1 else 'ies'}"
    head += f" ({concept.definition})" if concept.definition else ""
    builder.add(head + ":\n\n" + "\n".join(used) if used else head + ".")
    if rejected:
        builder.add(f"Considered and rejected for {concept.name}:\n\n" + "\n".join(rejected))
    return True
