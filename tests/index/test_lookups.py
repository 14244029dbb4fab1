import pytest

from index.lookups import NotFound, compare_studies, concept_detail, list_concepts, study_detail


def test_concept_detail_lists_studies_with_evidence(fixture_index):
    detail = concept_detail(fixture_index, "hash ring")
    assert detail["id"] == "consistent-hashing" and detail["aliases"] == ["hash ring"]
    ids = [s["id"] for s in detail["studies"]]
    assert {"kv-cache", "chat-relay"} <= set(ids)
    for study in detail["studies"]:
        (ev,) = study["evidence"]
        chunk = fixture_index.chunk(ev["chunk_id"])
        assert ev["quote"] in chunk.text and chunk.study == study["id"]
    assert detail["alternatives"][0]["id"] == "modulo-hashing"


def test_unknown_concept_and_study_suggest_close_names(fixture_index):
    with pytest.raises(NotFound) as err:
        concept_detail(fixture_index, "geohsh")
    assert "geohash" in err.value.suggestions
    with pytest.raises(NotFound) as err:
        study_detail(fixture_index, "geo-findr")
    assert err.value.suggestions == ["geo-finder"]


def test_study_detail_and_compare(fixture_index):
    detail = study_detail(fixture_index, "kv-cache")
    assert {c["chapter"] for c in detail["chapters"]} == {"overview", "architecture",
                                                         "key-decisions"}
    assert detail["similar"][0]["id"] == "chat-relay"
    diff = compare_studies(fixture_index, "kv-cache", "chat-relay")
    assert {c["id"] for c in diff["shared_concepts"]} >= {"consistent-hashing", "replication"}
    assert any(d["heading"] == "Consistent Hashing vs Modulo Hashing" for d in diff["decisions_a"])


def test_list_concepts_filters(fixture_index):
    rows = list_concepts(fixture_index, "hash")
    assert {r["id"] for r in rows} == {"consistent-hashing", "modulo-hashing", "geohash"}
    assert {r["id"] for r in list_concepts(fixture_index, category="geospatial")} == {
        "geohash", "quadtree"}
