"""The PostgreSQL store on a real server, compared with the file store on the fixture corpus."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from api.answer import AnswerEngine
from api.loader import load_index
from index import lookups
from index.settings import Settings
from index.store import FilterError, Index
from index.stores import Build, Filters, open_backend
from index.stores.postgres import PostgresBackend
from ingest.pipeline import ingest
from tests.conftest import fresh_database

QUERIES = [
    "how are keys spread over nodes so that adding a node moves few of them",
    "what happens to recent writes when the primary crashes",
    "finding the nearest scooters quickly",
    "why keep an open socket per device instead of polling",
    "retry storms and random delay",
    "geohash cells",
]
FILTERS = [
    {},
    {"study": "kv-cache"},
    {"chapter": "architecture"},
    {"concept": "consistent hashing"},
    {"study": "geo-finder", "chapter": "overview"},
]


@pytest.fixture(scope="module")
def pg_url(pg_server_url):
    yield from fresh_database(pg_server_url)


@pytest.fixture(scope="module")
def pg_settings(fixture_settings, pg_url) -> Settings:
    return fixture_settings.model_copy(update={"store_url": pg_url})


@pytest.fixture(scope="module")
def pg_backend(pg_settings) -> PostgresBackend:
    backend = open_backend(pg_settings)
    assert isinstance(backend, PostgresBackend)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def pg_index(pg_settings, pg_backend, fixture_index, embedder) -> Index:
    report = ingest(pg_settings.content_dir, pg_backend, embedder, progress=False)
    assert report.embedded == report.manifest.counts["chunks"]
    return load_index(pg_settings, pg_backend)


def _ids(hits):
    return [h.chunk.id for h in hits]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_search_matches_the_file_store(fixture_index, pg_index, mode, filters):
    for query in QUERIES:
        files = fixture_index.search(query, k=8, mode=mode, **filters)
        pg = pg_index.search(query, k=8, mode=mode, **filters)
        assert _ids(pg) == _ids(files), (query, mode, filters)
        assert [h.score for h in pg] == pytest.approx([h.score for h in files], rel=1e-4)
        for a, b in zip(pg, files, strict=True):
            for got, want in ((a.dense, b.dense), (a.lexical, b.lexical)):
                assert (got is None) == (want is None)
                if got is not None:
                    assert got == pytest.approx(want, rel=1e-4, abs=1e-5)
            assert a.chunk == b.chunk


def test_filters_are_applied_and_unknown_values_refused(pg_index):
    hits = pg_index.search("cache", k=20, study="kv-cache", chapter="architecture")
    assert hits and all(h.chunk.study == "kv-cache" and h.chunk.chapter == "architecture"
                        for h in hits)
    concept = pg_index.search("nodes", k=20, concept="consistent hashing")
    assert concept and all("consistent-hashing" in h.chunk.concepts for h in concept)
    with pytest.raises(FilterError, match="kv-cache"):
        pg_index.search("x", study="kv-cach")


def test_graph_lookups_match_the_file_store(fixture_index, pg_index):
    assert pg_index.study_ids == fixture_index.study_ids
    assert pg_index.chapters == fixture_index.chapters
    assert pg_index.term_idf == fixture_index.term_idf
    assert pg_index.chunks == fixture_index.chunks
    assert lookups.list_concepts(pg_index) == lookups.list_concepts(fixture_index)
    assert lookups.study_summaries(pg_index) == lookups.study_summaries(fixture_index)
    for concept in lookups.list_concepts(fixture_index):
        assert (lookups.concept_detail(pg_index, concept["id"])
                == lookups.concept_detail(fixture_index, concept["id"]))
        assert (pg_index.graph.neighbourhood(concept["id"], 2)
                == fixture_index.graph.neighbourhood(concept["id"], 2))
    for study in fixture_index.study_ids:
        assert lookups.study_detail(pg_index, study) == lookups.study_detail(fixture_index, study)


@pytest.mark.parametrize("question", [
    "How do you shard keys across cache nodes?",
    "Where is consistent hashing used, and why?",
    "What is a good recipe for banana bread?",
])
def test_answers_match_the_file_store(fixture_settings, fixture_index, pg_index, question):
    engine = AnswerEngine(fixture_settings)
    assert (engine.answer(pg_index, question).to_dict()
            == engine.answer(fixture_index, question).to_dict())


def test_reingest_reuses_the_stored_embeddings_and_keeps_the_old_version(
        pg_settings, pg_backend, pg_index, embedder):
    before = pg_backend.active_version()
    report = ingest(pg_settings.content_dir, pg_backend, embedder, progress=False)
    assert report.embedded == 0 and report.reused == report.manifest.counts["chunks"]
    assert pg_backend.active_version() == report.version != before
    version, manifest = pg_backend.active_manifest()
    assert version == report.version and manifest.counts == report.manifest.counts
    # the old version stays readable for requests still using it, until its grace period ends
    assert pg_index.version == before
    assert pg_index.search("geohash cells", k=3)
    assert pg_backend.drop_retired(grace_s=3600) == []
    assert int(before) in pg_backend.drop_retired(grace_s=0)
    assert load_index(pg_settings, pg_backend).version == report.version


def test_unreachable_database_is_a_clear_error(fixture_settings):
    from index.manifest import IndexLoadError

    settings = fixture_settings.model_copy(
        update={"store_url": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2"})
    with pytest.raises(IndexLoadError, match="CASEGRAPH_STORE_URL"):
        open_backend(settings)


def test_store_url_of_another_kind_is_refused(fixture_settings):
    with pytest.raises(ValueError, match="postgresql://"):
        open_backend(fixture_settings.model_copy(update={"store_url": "mysql://x/y"}))


@pytest.mark.parametrize("older", ["DROP TABLE casegraph_v{}_postings",
                                   "ALTER TABLE casegraph_v{}_postings DROP COLUMN weights"],
                         ids=["no postings", "postings without weights"])
def test_a_version_of_an_older_layout_asks_for_a_reingest(pg_server_url, fixture_settings,
                                                          fixture_index, older):
    from index.manifest import IndexLoadError

    store = fixture_index.store
    build = Build(store.manifest, store.all_chunks(), store.vectors(), store.graph().g)
    with contextmanager(fresh_database)(pg_server_url) as url:
        backend = open_backend(fixture_settings.model_copy(update={"store_url": url}))
        version = backend.publish(build)
        assert backend.open().lexical("geohash cells", 3, Filters())
        with backend.pool.connection() as conn:
            conn.execute(older.format(version))
        with pytest.raises(IndexLoadError, match="Re-ingest: casegraph ingest"):
            backend.open()
        backend.close()
