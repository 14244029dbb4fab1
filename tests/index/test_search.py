"""Hybrid search over the fixture index with the real embedding model."""

import pytest

from index.store import FilterError

EXPECTED_FIRST = [
    ("how are keys spread over nodes so that adding a node moves few of them",
     "case-studies/kv-cache/02-architecture.md", "160 virtual points"),
    ("what happens to recent writes when the primary crashes",
     "case-studies/kv-cache/02-architecture.md", "sentinel process"),
    ("finding the nearest scooters quickly", "case-studies/geo-finder/README.md", "eight cells"),
    ("why keep an open socket per device instead of polling",
     "case-studies/chat-relay/03-key-decisions.md", "re-sends headers"),
    ("retry storms and random delay", "notes/misc/odd.md", "Retries need jitter"),
]


@pytest.mark.parametrize(("query", "path", "marker"), EXPECTED_FIRST)
def test_hybrid_ranks_the_expected_chunk_first(fixture_index, query, path, marker):
    top = fixture_index.search(query, k=3)[0]
    assert top.chunk.path == path and marker in top.chunk.text


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_mode_returns_ranked_hits(fixture_index, mode):
    hits = fixture_index.search("geohash cells", k=4, mode=mode)
    assert hits and hits[0].chunk.study == "geo-finder"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_filters_restrict_results(fixture_index):
    hits = fixture_index.search("replication", k=10, study="chat-relay")
    assert hits and {h.chunk.study for h in hits} == {"chat-relay"}
    hits = fixture_index.search("decision", k=10, chapter="key-decisions")
    assert hits and {h.chunk.chapter for h in hits} == {"key-decisions"}
    hits = fixture_index.search("fleet", k=10, concept="hash ring")
    assert hits and all("consistent-hashing" in h.chunk.concepts for h in hits)
    admitted = {c.id for c in fixture_index.chunks
                if c.study == "kv-cache" and "consistent-hashing" in c.concepts}
    hits = fixture_index.search("ring", k=50, study="kv-cache", concept="consistent-hashing",
                                mode="dense")  # dense ranks every admitted passage
    assert {h.chunk.id for h in hits} == admitted


def test_unknown_filter_values_raise_with_suggestions(fixture_index):
    with pytest.raises(FilterError, match="kv-cache"):
        fixture_index.search("x", study="kv-cach")
    with pytest.raises(FilterError, match="chapter"):
        fixture_index.search("x", chapter="nope")
    with pytest.raises(FilterError, match="concept"):
        fixture_index.search("x", concept="warp drive")


def test_results_carry_the_public_fields(fixture_index):
    result = fixture_index.search("token of the ring", k=1)[0].to_result()
    assert set(result) == {"chunk_id", "score", "path", "start_line", "end_line", "study",
                           "study_title", "chapter", "heading", "text", "concepts", "cosine",
                           "bm25", "keyword", "weak"}


def test_relevance_reads_as_cosine_and_keyword_share(fixture_index, embedder):
    hit = fixture_index.search("nearest scooters", k=1)[0]
    result = hit.to_result()
    vector = embedder.encode([hit.chunk.embedding_text()])[0]
    assert result["cosine"] == pytest.approx(float(vector @ embedder.encode_query(
        "nearest scooters")), abs=1e-3)
    assert result["bm25"] > 0 and 0 < result["keyword"] <= 1 and result["weak"] is False


@pytest.mark.parametrize(("query", "modes"), [
    ("q one", ("hybrid", "bm25")),
    ("banana bread recipe", ("hybrid", "bm25")),
    # keywords alone cannot tell: "long" is a rare word of this small corpus
    ("how long should I boil an egg?", ("hybrid",)),
])
def test_nonsense_and_off_topic_queries_come_out_weak(fixture_index, query, modes):
    for mode in modes:
        hits = fixture_index.search(query, k=5, mode=mode)
        assert all(h.weak for h in hits), (mode, [(h.dense, h.lexical, h.keyword) for h in hits])


def test_weak_thresholds_decide(fixture_index):
    from index.relevance import KeywordMatch, WeakBelow

    rule = WeakBelow(cosine=0.3, keyword_share=0.15, keyword_weight=0.5)
    assert rule.weak(0.29, KeywordMatch(1.0, 3.0))
    assert not rule.weak(0.31, KeywordMatch(0.0, 0.0))
    assert rule.weak(None, KeywordMatch(1.0, 0.4)) and rule.weak(None, KeywordMatch(0.1, 3.0))
    assert not rule.weak(None, KeywordMatch(0.2, 0.6))


def test_a_lone_common_word_is_a_weak_keyword_match(fixture_index):
    from index.relevance import keyword_matches

    common = max(fixture_index.term_idf, key=lambda t: -fixture_index.term_idf[t])
    rare = max(fixture_index.term_idf, key=fixture_index.term_idf.get)
    (weak,), (strong,) = (keyword_matches(term, [term], fixture_index.term_idf)
                          for term in (common, rare))
    assert weak.share == strong.share == 1.0 and weak.weight < 0.5 and strong.weight == 1.0



def test_fusion_reads_the_configured_pool_of_each_ranking(fixture_settings):
    from api.loader import load_index

    narrow = load_index(fixture_settings.model_copy(update={"fusion_pool": 10}))
    assert narrow.fusion_pool == 10
    wide = load_index(fixture_settings)
    assert wide.fusion_pool == 1000
    query = "replication lag and failover"
    assert [h.chunk.id for h in wide.search(query, k=5)] == \
        [h.chunk.id for h in narrow.search(query, k=5, pool=1000)]
