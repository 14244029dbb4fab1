"""The knowledge graph built from the fixture corpus."""

from index.graph import concept_node, study_node


def edges(index, kind):
    return [(u, v, d) for u, v, d in index.graph.g.edges(data=True) if d["kind"] == kind]


def test_studies_sharing_a_concept_are_linked(fixture_index):
    studies = {r["study"] for r in fixture_index.graph.studies_using("consistent-hashing")}
    assert {"kv-cache", "chat-relay"} <= studies
    shared = fixture_index.graph.similar_studies("kv-cache")
    assert shared and shared[0]["study"] == "chat-relay"
    assert {"consistent-hashing", "replication"} <= set(shared[0]["shared"])


def test_covers_marks_declared_concepts(fixture_index):
    rows = {r["study"]: r for r in fixture_index.graph.studies_using("lru-eviction")}
    assert rows["kv-cache"]["declared"] is True


def test_mentions_edge_counts_chunks(fixture_index):
    g = fixture_index.graph.g
    data = g.get_edge_data("document:case-studies/kv-cache/02-architecture.md",
                           concept_node("consistent-hashing"))
    assert data["mentions"]["count"] >= 1
    assert all(fixture_index.chunk(c) for c in data["mentions"]["chunks"])


def test_trade_off_edge_carries_when_to_reconsider(fixture_index):
    alternatives = fixture_index.graph.alternatives("geohash")
    (quadtree,) = [a for a in alternatives if a["concept"] == "quadtree"]
    (decision,) = quadtree["decisions"]
    assert decision["study"] == "geo-finder"
    assert decision["heading"] == "Geohash vs Quadtree"
    assert "2,000 scooters" in decision["reconsider"]
    assert decision["decision"].startswith("Use geohash cells of precision 6")
    assert fixture_index.graph.alternatives("quadtree")[0]["concept"] == "geohash"


def test_explicit_links_between_studies(fixture_index):
    assert fixture_index.graph.links("chat-relay") == ["kv-cache"]
    assert fixture_index.graph.g.has_edge(study_node("chat-relay"), study_node("kv-cache"))


def test_co_occurrence_has_positive_npmi(fixture_index):
    for _, _, d in edges(fixture_index, "co_occurs"):
        assert d["count"] >= 2 and 0 < d["npmi"] <= 1


def test_study_titles_from_front_matter_or_first_h1(fixture_index):
    titles = {s["id"]: s["title"] for s in fixture_index.graph.studies()}
    assert titles["kv-cache"] == "Key-Value Cache"
    assert titles["geo-finder"] == "Geo Finder"


def test_neighbourhood_keeps_the_strongest_ties_when_limited(fixture_index):
    data = fixture_index.graph.neighbourhood("geohash", depth=2, limit=2)
    assert {n["id"] for n in data["nodes"]} == {"concept:geohash", "concept:quadtree"}
    full = fixture_index.graph.neighbourhood("geohash", depth=1)
    assert "study:geo-finder" in {n["id"] for n in full["nodes"]}
