"""Concept and study look-ups: the JSON shapes shared by the CLI and the HTTP API."""

from __future__ import annotations

import difflib
from typing import Any

from index.chunks import Chunk
from index.concepts import Concept
from index.store import Index
from index.text import sentences


class NotFound(LookupError):
    """An unknown concept or study, with close matches to suggest."""

    def __init__(self, kind: str, name: str, suggestions: list[str]):
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"Unknown {kind} '{name}'.{hint}")
        self.kind = kind
        self.suggestions = suggestions


def resolve_concept(index: Index, name: str) -> Concept:
    concept = index.matcher.resolve(name)
    if concept is None:
        raise NotFound("concept", name, index.matcher.suggest(name))
    return concept


def evidence(index: Index, chunk: Chunk, concept_id: str | None = None) -> dict[str, Any]:
    """A citation-ready pointer to a chunk with the sentence that best shows the concept."""
    found = sentences(chunk.text)
    best = next(
        (s for s in found if concept_id
         and any(cid == concept_id for _, _, cid in index.matcher.spans(s.raw))),
        found[0] if found else None,
    )
    quote = best.raw if best else chunk.text[:300]
    return {
        "chunk_id": chunk.id, "path": chunk.path, "start_line": chunk.start_line,
        "end_line": chunk.end_line, "chapter": chunk.chapter, "heading": chunk.heading,
        "snippet": " ".join(quote.split()), "quote": quote,
    }


def best_chunks(index: Index, chunk_ids: list[str], concept_id: str, n: int = 1) -> list[Chunk]:
    """The chunks that discuss a concept most (occurrences, then a heading that names it)."""
    chunks = [c for c in (index.chunk(i) for i in chunk_ids) if c is not None]

    def weight(chunk: Chunk) -> tuple[int, int, int]:
        in_heading = concept_id in index.matcher.find(chunk.heading)
        return (int(in_heading), index.matcher.count(chunk.text)[concept_id], -chunk.start_line)

    return sorted(chunks, key=weight, reverse=True)[:n]


def concept_detail(index: Index, name: str, evidence_per_study: int = 1) -> dict[str, Any]:
    """Definition, aliases, studies with evidence, related concepts and alternatives."""
    concept = resolve_concept(index, name)
    graph = index.graph
    studies = []
    for row in graph.studies_using(concept.id):
        study = graph.study(row["study"]) or {}
        chunks = best_chunks(index, row["chunks"], concept.id, evidence_per_study)
        studies.append({
            "id": row["study"], "title": study.get("title", row["study"]),
            "declared": row["declared"], "mentions": row["mentions"],
            "evidence": [evidence(index, c, concept.id) for c in chunks],
        })
    related = [
        {"id": r["concept"], "name": _name(index, r["concept"]), "npmi": r["npmi"],
         "chunks": r["chunks"]}
        for r in graph.related(concept.id)
    ]
    alternatives = [
        {"id": a["concept"], "name": _name(index, a["concept"]),
         "decisions": [{k: d[k] for k in ("study", "heading", "decision", "reconsider", "path",
                                          "line")} for d in a["decisions"]]}
        for a in graph.alternatives(concept.id)
    ]
    return {**concept.to_dict(), "studies": studies, "related": related,
            "alternatives": alternatives}


def study_detail(index: Index, study_id: str) -> dict[str, Any]:
    """Chapters, concepts, decisions, links and the most similar studies of one study."""
    graph = index.graph
    study = graph.study(study_id)
    if study is None:
        raise NotFound("study", study_id, _close_studies(index, study_id))
    concepts = [
        {"id": r["concept"], "name": _name(index, r["concept"]), "declared": r["declared"],
         "mentions": r["mentions"]}
        for r in graph.study_concepts(study_id)
    ]
    similar = [
        {"id": r["study"], "title": (graph.study(r["study"]) or {}).get("title", r["study"]),
         "weight": r["weight"], "shared": r["shared"]}
        for r in graph.similar_studies(study_id)
    ]
    chapters = [{"path": d["path"], "chapter": d["chapter"], "title": d["title"]}
                for d in graph.documents(study_id)]
    decisions = [{k: d[k] for k in ("heading", "options", "decision", "reconsider", "path", "line")}
                 for d in graph.decisions(study_id)]
    return {
        "id": study_id, "title": study["title"], "category": study.get("category", ""),
        "scale": study.get("scale", ""), "real_world": study.get("real_world", []),
        "chapters": chapters, "concepts": concepts, "decisions": decisions,
        "links_to": graph.links(study_id), "similar": similar,
    }


def study_summaries(index: Index) -> list[dict[str, Any]]:
    """One line of facts per study, for listings."""
    return [
        {"id": s["id"], "title": s["title"], "category": s.get("category", ""),
         "scale": s.get("scale", ""),
         "concepts": [_name(index, c) for c in s.get("declared", [])]}
        for s in index.graph.studies()
    ]


def compare_studies(index: Index, a: str, b: str) -> dict[str, Any]:
    """Shared and distinct concepts of two studies, and decisions touching shared concepts."""
    left, right = study_detail(index, a), study_detail(index, b)
    ids_a = {c["id"] for c in left["concepts"]}
    ids_b = {c["id"] for c in right["concepts"]}
    shared = sorted(ids_a & ids_b)

    def touching(detail: dict[str, Any]) -> list[dict[str, Any]]:
        rows = []
        for d in detail["decisions"]:
            found = set(index.matcher.find(d["heading"] + " " + d["decision"]))
            if found & set(shared):
                rows.append({**d, "concepts": sorted(found & set(shared))})
        return rows

    return {
        "a": {"id": a, "title": left["title"]}, "b": {"id": b, "title": right["title"]},
        "shared_concepts": [{"id": c, "name": _name(index, c)} for c in shared],
        "only_a": [{"id": c, "name": _name(index, c)} for c in sorted(ids_a - ids_b)],
        "only_b": [{"id": c, "name": _name(index, c)} for c in sorted(ids_b - ids_a)],
        "decisions_a": touching(left), "decisions_b": touching(right),
    }


def list_concepts(index: Index, query: str | None = None,
                  category: str | None = None) -> list[dict[str, Any]]:
    """Concepts filtered by a substring of name/alias and by category, with study counts."""
    q = (query or "").strip().lower()
    rows = []
    for c in index.graph.concepts():
        if category and c.category.lower() != category.lower():
            continue
        if q and not any(q in t.lower() for t in c.terms):
            continue
        rows.append({**c.to_dict(), "studies": len(index.graph.studies_using(c.id))})
    return sorted(rows, key=lambda r: (-r["studies"], r["name"].lower()))


def _name(index: Index, concept_id: str) -> str:
    concept = index.matcher.get(concept_id)
    return concept.name if concept else concept_id


def _close_studies(index: Index, study_id: str) -> list[str]:
    ids = sorted(index.study_ids)
    return difflib.get_close_matches(study_id, ids, n=3, cutoff=0.3) or [
        i for i in ids if study_id.lower() in i
    ][:3]
