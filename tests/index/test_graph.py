"""Graph queries: related concepts without weak or generic pairs, capped neighbourhoods."""

import networkx as nx

from index.graph import KnowledgeGraph, concept_node, study_node


def small_graph() -> KnowledgeGraph:
    """Ten studies; 'tls' is used by six of them, the other concepts by one or two."""
    g = nx.MultiDiGraph()
    for n in range(10):
        g.add_node(study_node(f"s{n}"), kind="study", title=f"S{n}")
    for cid in ("ring", "tls", "etcd", "rare", "vnodes"):
        g.add_node(concept_node(cid), kind="concept", name=cid)
    users = {"ring": [0, 1], "tls": [0, 1, 2, 3, 4, 5], "etcd": [0], "rare": [1], "vnodes": [0]}
    for cid, studies in users.items():
        for n in studies:
            g.add_edge(study_node(f"s{n}"), concept_node(cid), key="covers", kind="covers",
                       declared=False, mentions=3, chunks=[])
    pairs = {"tls": (0.5, 8), "etcd": (0.45, 5), "rare": (0.6, 2), "vnodes": (0.1, 9)}
    for other, (npmi, count) in pairs.items():
        g.add_edge(concept_node("ring"), concept_node(other), key="co_occurs", kind="co_occurs",
                   npmi=npmi, count=count)
    g.add_edge(concept_node("etcd"), concept_node("rare"), key="co_occurs", kind="co_occurs",
               npmi=0.9, count=9)
    return KnowledgeGraph(g)


def test_related_leaves_out_generic_and_weak_pairs():
    graph = small_graph()
    assert graph.is_generic(concept_node("tls")) and not graph.is_generic(concept_node("etcd"))
    assert [r["concept"] for r in graph.related("ring")] == ["etcd"]


def test_neighbourhood_caps_nodes_and_edges_keeping_the_concepts_own_edges():
    graph = small_graph()
    full = graph.neighbourhood("ring", depth=1)
    ids = {n["id"] for n in full["nodes"]}
    assert concept_node("tls") not in ids and concept_node("vnodes") not in ids
    capped = graph.neighbourhood("ring", depth=2, limit=3, max_edges=2)
    assert len(capped["nodes"]) == 3 and len(capped["edges"]) == 2
    start = concept_node("ring")
    assert all(start in (e["source"], e["target"]) for e in capped["edges"])
