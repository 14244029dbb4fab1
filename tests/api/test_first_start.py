"""A first start on an empty index folder: keyword answers first, then the hybrid index."""

from __future__ import annotations

import threading
import time

import httpx

from api.app import create_app
from index.embedder import Embedder
from tests.conftest import build_lock_held, copy_corpus, live_server, make_settings, wait_ready


def _wait_status(client: httpx.Client, status: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = client.get("/health").json()
        if health["status"] == status:
            return health
        time.sleep(0.1)
    raise TimeoutError(f"/health never reported {status!r}; last: {health}")


def test_first_start_answers_by_keywords_then_switches_to_hybrid(tmp_path, gated_embedding):
    settings = make_settings(copy_corpus(tmp_path), tmp_path / "index")
    with live_server(create_app(settings, with_ui=False)) as url, \
            httpx.Client(base_url=url, timeout=60) as client:
        health = _wait_status(client, "keyword-only")
        assert health["build"]["total"] > 10
        assert health["build"]["embedded"] < health["build"]["total"]
        assert f"of {health['build']['total']} passages" in health["message"]

        body = client.get("/search", params={"q": "nearest scooters", "k": 3}).json()
        assert body["keyword_only"] is True
        assert "keyword results while the semantic index builds" in body["notice"].lower()
        top = body["results"][0]
        assert top["study"] == "geo-finder"
        assert top["cosine"] is None and top["bm25"] > 0 and top["keyword"] > 0

        answer = client.post("/ask", json={"question": "What happens when a cache primary "
                                                       "crashes?"})
        assert answer.status_code == 200
        data = answer.json()
        assert data["keyword_only"] is True and data["grounded"] is True
        assert data["citations"] and "[1]" in data["answer"]
        assert "semantic index builds" in data["notice"]
        off_topic = client.post("/ask", json={"question": "banana bread recipe?"})
        assert off_topic.json()["grounded"] is False

        gated_embedding.set()
        health = wait_ready(client)
        assert health["build"] is None and health["version"] != "keyword-only"
        body = client.get("/search", params={"q": "nearest scooters", "k": 3}).json()
        assert body["keyword_only"] is False and body["notice"] == ""
        assert body["results"][0]["study"] == "geo-finder"
        assert body["results"][0]["cosine"] > 0.3
        assert client.post("/ask", json={"question": "What happens when a cache primary "
                                                     "crashes?"}).json()["keyword_only"] is False


def test_a_failed_vector_build_keeps_the_keyword_answers(tmp_path, monkeypatch):
    def broken(self, texts):
        raise RuntimeError("out of memory while embedding")

    monkeypatch.setattr(Embedder, "encode", broken)
    settings = make_settings(copy_corpus(tmp_path), tmp_path / "index")
    with live_server(create_app(settings, with_ui=False)) as url, \
            httpx.Client(base_url=url, timeout=60) as client:
        deadline = time.monotonic() + 60
        while "failed" not in (health := client.get("/health").json())["message"]:
            assert time.monotonic() < deadline, health
            time.sleep(0.1)
        assert health["status"] == "keyword-only" and health["build"] is None
        assert "out of memory while embedding" in health["message"]
        body = client.get("/search", params={"q": "nearest scooters"}).json()
        assert body["keyword_only"] and body["results"][0]["study"] == "geo-finder"
        assert "semantic index failed" in body["notice"]
    assert not (tmp_path / "index").exists()


def test_keyword_first_start_with_the_postgresql_store(tmp_path, pg_database, gated_embedding):
    from api.services import Services

    settings = make_settings(copy_corpus(tmp_path), tmp_path / "unused",
                             store_url=pg_database)
    services = Services(settings)
    builder = threading.Thread(target=services.open_or_build, kwargs={"progress": False})
    builder.start()
    try:
        deadline = time.monotonic() + 60
        while not services.keyword_only:
            assert time.monotonic() < deadline and builder.is_alive(), services.message
            time.sleep(0.05)
        assert services.backend.active_version() is None
        hits = services.index.search("nearest scooters", k=3)
        assert hits[0].chunk.study == "geo-finder" and hits[0].dense is None
    finally:
        gated_embedding.set()
        builder.join(120)
    assert not services.keyword_only and services.backend.active_version() is not None
    hits = services.index.search("nearest scooters", k=3)
    assert hits[0].chunk.study == "geo-finder" and hits[0].dense > 0.3


def test_a_server_started_during_another_process_build_waits_then_serves(tmp_path):
    settings = make_settings(copy_corpus(tmp_path), tmp_path / "index")
    with build_lock_held(settings.index_dir) as release, \
            live_server(create_app(settings, with_ui=False)) as url, \
            httpx.Client(base_url=url, timeout=60) as client:
        deadline = time.monotonic() + 60
        while "Another process is building" not in (health := client.get("/health").json())[
                "message"]:
            assert time.monotonic() < deadline, f"never said it waits; last: {health}"
            time.sleep(0.1)
        assert health["status"] == "building"  # waiting, not failed
        assert client.get("/search", params={"q": "nearest scooters"}).status_code == 503
        time.sleep(2.5)  # it keeps waiting while the lock is held
        assert client.get("/health").json()["status"] == "building"
        release()  # that build ended without publishing: this server builds the index itself
        wait_ready(client)
        top = client.get("/search", params={"q": "nearest scooters", "k": 3}).json()
        assert top["results"][0]["study"] == "geo-finder"


def test_a_loaded_server_embeds_answer_sentences_so_answers_need_not(tmp_path, monkeypatch):
    from api.answer import AnswerEngine, quotable_sentences

    settings = make_settings(copy_corpus(tmp_path), tmp_path / "index")
    app = create_app(settings, with_ui=False)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        wait_ready(client)
        index = app.state.services.index
        similarity = app.state.engine.similarity(index)
        expected = len(quotable_sentences(index))
        deadline = time.monotonic() + 120
        while similarity.cached < expected:
            assert time.monotonic() < deadline, f"{similarity.cached} of {expected} embedded"
            time.sleep(0.2)
        encoded: list[list[str]] = []
        real_encode = index.embedder.encode
        monkeypatch.setattr(index.embedder, "encode",
                            lambda texts: encoded.append(texts) or real_encode(texts))
        answer = client.post("/ask", json={"question": "How are connection servers picked?"})
        assert answer.status_code == 200 and answer.json()["grounded"]
        assert encoded == []  # every sentence it ranked was embedded already
    # the vectors were saved beside the index: the next process reads them, embedding none
    engine = AnswerEngine(settings)
    assert engine.warm(index, threading.Event()) == 0
    assert engine.similarity(index).cached == expected
