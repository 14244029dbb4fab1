"""Build the knowledge graph from studies, chunks, concepts and decisions."""

from __future__ import annotations

import math
import posixpath
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import PurePosixPath

import networkx as nx

from index.chunks import Chunk
from index.concepts import Concept, ConceptMatcher
from index.graph import concept_node, document_node, study_node
from ingest.corpus import Study, study_of
from ingest.decisions import find_decisions
from ingest.triggers import parse_trigger

MIN_CO_OCCURRENCE = 2
MIN_SHARED_CONCEPTS = 2
MIN_MENTIONS_TO_SHARE = 2


def build_graph(
    studies: list[Study],
    chunks: list[Chunk],
    concepts: list[Concept],
    declared: dict[str, list[str]],
    matcher: ConceptMatcher,
) -> nx.MultiDiGraph:
    """The whole graph: nodes, then each edge family in turn."""
    g = nx.MultiDiGraph()
    for c in concepts:
        g.add_node(concept_node(c.id), kind="concept", name=c.name, aliases=list(c.aliases),
                   category=c.category, definition=c.definition, match_case=c.match_case)
    for study in studies:
        fm = study.front_matter
        g.add_node(study_node(study.id), kind="study", title=study.title,
                   category=str(fm.get("category") or ""), scale=str(fm.get("scale") or ""),
                   real_world=[str(x) for x in fm.get("real_world") or []],
                   declared=declared.get(study.id, []), decisions=[])
        for f in study.files:
            g.add_node(document_node(f.path), kind="document", study=study.id,
                       chapter=f.chapter, title=f.parsed.title or f.path)
    _add_mentions(g, chunks, declared)
    _add_co_occurrence(g, chunks)
    _add_alternatives(g, studies, matcher)
    _add_links(g, studies)
    _add_shared_concepts(g, studies)
    return g


def _add_mentions(g: nx.MultiDiGraph, chunks: list[Chunk], declared: dict[str, list[str]]) -> None:
    doc_chunks: dict[tuple[str, str], list[str]] = defaultdict(list)
    study_chunks: dict[tuple[str, str], list[str]] = defaultdict(list)
    for chunk in chunks:
        for cid in chunk.concepts:
            doc_chunks[(chunk.path, cid)].append(chunk.id)
            study_chunks[(chunk.study, cid)].append(chunk.id)
    for (path, cid), ids in doc_chunks.items():
        g.add_edge(document_node(path), concept_node(cid), key="mentions", kind="mentions",
                   count=len(ids), chunks=ids)
    covered = set(study_chunks) | {(s, c) for s, cs in declared.items() for c in cs}
    for sid, cid in sorted(covered):
        ids = study_chunks.get((sid, cid), [])
        g.add_edge(study_node(sid), concept_node(cid), key="covers", kind="covers",
                   declared=cid in declared.get(sid, []), mentions=len(ids), chunks=ids)


def _add_co_occurrence(g: nx.MultiDiGraph, chunks: list[Chunk]) -> None:
    """Normalized PMI over chunks, for pairs seen together at least twice."""
    n = len(chunks)
    single: Counter[str] = Counter()
    pair: Counter[tuple[str, str]] = Counter()
    for chunk in chunks:
        ids = sorted(set(chunk.concepts))
        single.update(ids)
        pair.update(combinations(ids, 2))
    for (a, b), joint in pair.items():
        if joint < MIN_CO_OCCURRENCE:
            continue
        p_ab = joint / n
        pmi = math.log(p_ab / ((single[a] / n) * (single[b] / n)))
        npmi = pmi / -math.log(p_ab) if p_ab < 1 else 1.0
        if npmi > 0:
            g.add_edge(concept_node(a), concept_node(b), key="co_occurs", kind="co_occurs",
                       count=joint, npmi=round(npmi, 4))


def _add_alternatives(g: nx.MultiDiGraph, studies: list[Study], matcher: ConceptMatcher) -> None:
    """Concept pairs weighed against each other in ``## A vs B`` decisions."""
    for study in studies:
        for f in study.files:
            for decision in find_decisions(f.parsed):
                option_concepts = [set(matcher.find(o)) for o in decision.options]
                everywhere = set.intersection(*option_concepts)
                option_concepts = [cs - everywhere for cs in option_concepts]
                record = {
                    "study": study.id, "path": f.path, "line": decision.line,
                    "heading": decision.heading, "options": decision.options,
                    "decision": decision.parts.get("decision", ""),
                    "reconsider": decision.reconsider,
                    "trade_off": decision.parts.get("trade-off", ""),
                    "spans": {k: list(v) for k, v in decision.spans.items()},
                    "triggers": [c.to_dict() for c in parse_trigger(decision.reconsider)],
                    "concepts": [sorted(cs) for cs in option_concepts],
                }
                g.nodes[study_node(study.id)]["decisions"].append(record)
                for left, right in combinations(option_concepts, 2):
                    for a in left:
                        for b in right:
                            _append_decision(g, a, b, record)


def _append_decision(g: nx.MultiDiGraph, a: str, b: str, record: dict) -> None:
    u, v = sorted((concept_node(a), concept_node(b)))
    if g.has_edge(u, v, key="alternative_to"):
        g.edges[u, v, "alternative_to"]["decisions"].append(record)
    else:
        g.add_edge(u, v, key="alternative_to", kind="alternative_to", decisions=[record])


def _add_links(g: nx.MultiDiGraph, studies: list[Study]) -> None:
    """Explicit relative markdown links from one study's files to another study."""
    known = {s.id for s in studies}
    counts: Counter[tuple[str, str]] = Counter()
    for study in studies:
        for f in study.files:
            for href in f.parsed.links:
                target = href.split("#", 1)[0]
                if not target or "://" in target or target.startswith(("/", "mailto:")):
                    continue
                joined = posixpath.normpath(posixpath.join(posixpath.dirname(f.path), target))
                if joined.startswith(".."):
                    continue
                other = study_of(PurePosixPath(joined))
                if other in known and other != study.id:
                    counts[(study.id, other)] += 1
    for (a, b), count in counts.items():
        g.add_edge(study_node(a), study_node(b), key="links_to", kind="links_to", count=count)


def _add_shared_concepts(g: nx.MultiDiGraph, studies: list[Study]) -> None:
    """Jaccard overlap of the concepts two studies substantially cover."""
    sets: dict[str, set[str]] = {}
    for study in studies:
        sets[study.id] = {
            v.split(":", 1)[1]
            for _, v, d in g.out_edges(study_node(study.id), data=True)
            if d["kind"] == "covers" and (d["declared"] or d["mentions"] >= MIN_MENTIONS_TO_SHARE)
        }
    for a, b in combinations(sorted(sets), 2):
        shared = sets[a] & sets[b]
        if len(shared) >= MIN_SHARED_CONCEPTS:
            weight = len(shared) / len(sets[a] | sets[b])
            g.add_edge(study_node(a), study_node(b), key="shares_concepts",
                       kind="shares_concepts", weight=round(weight, 4), shared=sorted(shared))
