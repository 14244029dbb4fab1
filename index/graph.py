"""The knowledge graph: its file format (``graph.json``, node-link JSON) and its queries.

Nodes are ``study:<id>``, ``document:<path>`` and ``concept:<id>``. Edges carry a ``kind``:
``mentions`` (document -> concept), ``covers`` (study -> concept), ``co_occurs`` and
``alternative_to`` (concept -- concept, stored once, read both ways), ``links_to`` and
``shares_concepts`` (study -> study).
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx

from index.concepts import Concept

GRAPH_FILE = "graph.json"
MIN_RELATED_NPMI = 0.2
MIN_RELATED_CHUNKS = 3
GENERIC_STUDY_SHARE = 0.4
UNDIRECTED_KINDS = frozenset({"co_occurs", "alternative_to", "shares_concepts"})


def study_node(study_id: str) -> str:
    return f"study:{study_id}"


def document_node(path: str) -> str:
    return f"document:{path}"


def concept_node(concept_id: str) -> str:
    return f"concept:{concept_id}"


def node_key(node: str) -> str:
    """The id part of a node name (``concept:kafka`` -> ``kafka``)."""
    return node.split(":", 1)[1]


def write_graph(directory: Path, graph: nx.MultiDiGraph) -> None:
    data = nx.node_link_data(graph, edges="edges")
    (directory / GRAPH_FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def read_graph(directory: Path) -> nx.MultiDiGraph:
    return _from_json(json.loads((directory / GRAPH_FILE).read_text(encoding="utf-8")))


def as_read(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A just-built graph as ``read_graph`` would return it once written (JSON types)."""
    return _from_json(json.loads(json.dumps(nx.node_link_data(graph, edges="edges"))))


def _from_json(data: dict) -> nx.MultiDiGraph:
    return nx.node_link_graph(data, directed=True, multigraph=True, edges="edges")


class KnowledgeGraph:
    """Read-only queries over the graph."""

    def __init__(self, graph: nx.MultiDiGraph):
        self.g = graph

    def _nodes(self, kind: str) -> list[tuple[str, dict]]:
        return [(n, d) for n, d in self.g.nodes(data=True) if d.get("kind") == kind]

    def _edges(self, node: str, kind: str) -> list[tuple[str, dict]]:
        """(other node, edge data) of ``kind`` edges at ``node``, both directions if undirected."""
        found = [(v, d) for _, v, d in self.g.out_edges(node, data=True) if d["kind"] == kind]
        if kind in UNDIRECTED_KINDS:
            found += [(u, d) for u, _, d in self.g.in_edges(node, data=True) if d["kind"] == kind]
        return found

    def concepts(self) -> list[Concept]:
        return [
            Concept(
                id=node_key(n),
                name=d["name"],
                aliases=tuple(d.get("aliases", ())),
                category=d.get("category", ""),
                definition=d.get("definition", ""),
                match_case=d.get("match_case", False),
            )
            for n, d in self._nodes("concept")
        ]

    def studies(self) -> list[dict[str, Any]]:
        """Every study node's attributes, with its id, sorted by id."""
        return sorted(
            ({"id": node_key(n), **d} for n, d in self._nodes("study")), key=lambda s: s["id"]
        )

    def study(self, study_id: str) -> dict[str, Any] | None:
        node = study_node(study_id)
        return {"id": study_id, **self.g.nodes[node]} if node in self.g else None

    def documents(self, study_id: str) -> list[dict[str, Any]]:
        """The study's documents (path, chapter, title), in path order."""
        docs = [
            {"path": node_key(n), **d}
            for n, d in self._nodes("document")
            if d.get("study") == study_id
        ]
        return sorted(docs, key=lambda d: d["path"])

    def studies_using(self, concept_id: str) -> list[dict[str, Any]]:
        """Studies covering a concept: declared ones first, then by number of mentions."""
        rows = [
            {
                "study": node_key(u),
                "declared": d.get("declared", False),
                "mentions": d.get("mentions", 0),
                "chunks": d.get("chunks", []),
            }
            for u, _, d in self.g.in_edges(concept_node(concept_id), data=True)
            if d["kind"] == "covers"
        ]
        return sorted(rows, key=lambda r: (not r["declared"], -r["mentions"], r["study"]))

    def study_concepts(self, study_id: str) -> list[dict[str, Any]]:
        """Concepts a study covers, declared first, then by mentions."""
        rows = [
            {"concept": node_key(v), "declared": d.get("declared", False),
             "mentions": d.get("mentions", 0)}
            for v, d in self._edges(study_node(study_id), "covers")
        ]
        return sorted(rows, key=lambda r: (not r["declared"], -r["mentions"], r["concept"]))

    def related(self, concept_id: str, n: int = 8) -> list[dict[str, Any]]:
        """Concepts that co-occur with this one beyond chance (by normalized PMI), leaving out
        weak pairs and generic concepts (see ``is_generic``)."""
        rows = [
            {"concept": node_key(v), "npmi": d["npmi"], "chunks": d["count"]}
            for v, d in self._edges(concept_node(concept_id), "co_occurs")
            if d["npmi"] >= MIN_RELATED_NPMI and d["count"] >= MIN_RELATED_CHUNKS
            and not self.is_generic(v)
        ]
        rows.sort(key=lambda r: (-r["npmi"] * min(r["chunks"], 10), r["concept"]))
        return rows[:n]

    def is_generic(self, node: str) -> bool:
        """A concept used by so many studies (TLS, PostgreSQL) that co-occurring with it says
        little about a relation."""
        if self.g.nodes[node].get("kind") != "concept":
            return False
        studies = self._study_count
        users = sum(1 for _, _, d in self.g.in_edges(node, data=True) if d["kind"] == "covers")
        return studies >= 5 and users > GENERIC_STUDY_SHARE * studies

    @cached_property
    def _study_count(self) -> int:
        return len(self._nodes("study"))

    def alternatives(self, concept_id: str) -> list[dict[str, Any]]:
        """Concepts weighed against this one in a key decision, with each decision's context."""
        rows = [
            {"concept": node_key(v), "decisions": d["decisions"]}
            for v, d in self._edges(concept_node(concept_id), "alternative_to")
        ]
        return sorted(rows, key=lambda r: (-len(r["decisions"]), r["concept"]))

    def similar_studies(self, study_id: str, n: int = 5) -> list[dict[str, Any]]:
        """Studies sharing the most concepts with this one (Jaccard weight)."""
        rows = [
            {"study": node_key(v), "weight": d["weight"], "shared": d["shared"]}
            for v, d in self._edges(study_node(study_id), "shares_concepts")
        ]
        rows.sort(key=lambda r: (-r["weight"], r["study"]))
        return rows[:n]

    def links(self, study_id: str) -> list[str]:
        """Studies this study links to explicitly."""
        return sorted({node_key(v) for v, _ in self._edges(study_node(study_id), "links_to")})

    def decisions(self, study_id: str) -> list[dict[str, Any]]:
        """The study's ``A vs B`` decisions, as recorded on its study node."""
        return list(self.g.nodes[study_node(study_id)].get("decisions", []))

    def neighbourhood(self, concept_id: str, depth: int = 1, limit: int = 60,
                      max_edges: int | None = None) -> dict[str, Any]:
        """Node-link JSON of the graph around a concept, without document nodes.

        When there are more than ``limit`` nodes, the ones most strongly tied to the concept
        stay: alternatives, then studies that declare it, then co-occurring concepts by NPMI.
        ``max_edges`` keeps the strongest edges only, those of the concept itself first.
        """
        start = concept_node(concept_id)
        strength: dict[str, float] = {start: float("inf")}
        frontier = [start]
        for level in range(max(depth, 0)):
            nxt = []
            for node in frontier:
                for other, weight in self._ties(node):
                    if (other in strength or self.g.nodes[other].get("kind") == "document"
                            or weight < MIN_RELATED_NPMI
                            or (weight < 1 and self.is_generic(other))):
                        continue
                    strength[other] = weight / (level + 1)
                    nxt.append(other)
            frontier = nxt
        keep = sorted(strength, key=lambda n: -strength[n])[:max(limit, 1)]
        data = nx.node_link_data(self.g.subgraph(keep), edges="edges")
        for edge in data["edges"]:
            edge.pop("chunks", None)
        if max_edges is not None:
            def rank(edge: dict) -> tuple[bool, float]:
                return (start not in (edge["source"], edge["target"]), -tie_weight(edge))

            data["edges"] = sorted(data["edges"], key=rank)[:max(max_edges, 0)]
        return data

    def _ties(self, node: str) -> list[tuple[str, float]]:
        """Neighbours of a node with how strongly each is tied to it."""
        ties: dict[str, float] = {}
        for u, v, d in [*self.g.out_edges(node, data=True), *self.g.in_edges(node, data=True)]:
            other = v if u == node else u
            ties[other] = max(ties.get(other, 0.0), tie_weight(d))
        return list(ties.items())


def tie_weight(edge: dict[str, Any]) -> float:
    """How strongly an edge ties its ends: alternatives, then declared uses, then by NPMI."""
    kind = edge["kind"]
    if kind == "alternative_to":
        return 3.0
    if kind == "covers":
        return (2.0 if edge.get("declared") else 0.5) + min(edge.get("mentions", 0), 20) / 20
    if kind in ("co_occurs", "shares_concepts"):
        return edge.get("npmi", edge.get("weight", 0.0))
    return 0.1
