"""End to end over HTTP: a real uvicorn server, the real model, the fixture corpus."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from api.app import create_app
from tests.conftest import live_server, make_settings, wait_ready


@pytest.fixture(scope="module")
def server(fixture_settings, fixture_index):
    settings = fixture_settings.model_copy(update={"api_key": "s3cret-key",
                                                   "cors_origins": ["http://example.test"]})
    app = create_app(settings, with_ui=False)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        wait_ready(client)
        client.app = app
        yield client


def test_health_reports_counts_model_and_build_time(server):
    health = server.get("/health").json()
    assert health["status"] == "ok" and health["model"] == "all-MiniLM-L6-v2"
    assert health["counts"]["studies"] == 4 and health["counts"]["chunks"] > 10
    assert health["built_at"]


def test_search_returns_cli_shaped_results(server):
    body = server.get("/search", params={"q": "nearest scooters", "k": 3}).json()
    assert body["query"] == "nearest scooters" and len(body["results"]) == 3
    top = body["results"][0]
    assert top["study"] == "geo-finder" and top["path"].endswith("geo-finder/README.md")
    assert set(top) >= {"chunk_id", "score", "start_line", "end_line", "study_title", "chapter",
                        "heading", "text", "concepts"}


def test_search_filters(server):
    body = server.get("/search", params={"q": "hashing", "concept": "consistent hashing",
                                         "study": "chat-relay"}).json()
    assert body["results"] and all(r["study"] == "chat-relay" for r in body["results"])
    assert all("consistent-hashing" in r["concepts"] for r in body["results"])


@pytest.mark.parametrize(("params", "fragment"), [
    ({"q": "x", "k": 0}, "k"),
    ({"q": "x", "k": 51}, "less than or equal to 50"),
    ({"q": ""}, "q"),
    ({"q": "   "}, "blank"),
    ({"q": "a" * 1001}, "at most 1000"),
    ({}, "q"),
])
def test_search_rejects_bad_input_with_a_fix_it_message(server, params, fragment):
    response = server.get("/search", params=params)
    assert response.status_code == 422
    assert fragment in response.json()["error"]


def test_unknown_filter_value_suggests_close_matches(server):
    response = server.get("/search", params={"q": "x", "study": "kv-cach"})
    assert response.status_code == 422
    assert response.json()["suggestions"] == ["kv-cache"]


def test_ask_answers_with_verbatim_citations(server):
    body = server.post("/ask", json={"question": "What happens when a cache primary crashes?"}).json()
    assert body["grounded"] is True and body["mode"] == "extractive"
    assert body["citations"] and "[1]" in body["answer"]
    index = server.app.state.services.index
    for c in body["citations"]:
        chunk = index.chunk(c["chunk_id"])
        assert chunk is not None and c["quote"] in chunk.text
        assert (c["path"], c["start_line"], c["end_line"]) == (chunk.path, chunk.start_line,
                                                               chunk.end_line)
        assert f"[{c['n']}]" in body["answer"]


def test_off_topic_question_is_declined_without_citations(server):
    body = server.post("/ask", json={"question": "How long should I boil an egg?"}).json()
    assert body["grounded"] is False and body["citations"] == []
    assert "do not cover" in body["answer"]


def test_where_is_it_used_is_answered_from_the_graph(server):
    body = server.post("/ask", json={"question": "Where is consistent hashing used?"}).json()
    assert body["route"] == "graph" and body["grounded"]
    assert {c["study"] for c in body["citations"]} >= {"kv-cache", "chat-relay"}


def test_follow_up_resolves_through_history(server):
    history = [{"role": "user", "content": "Why use geohash rather than a quadtree?"},
               {"role": "assistant", "content": "Geohash prefixes turn a radius search ..."}]
    body = server.post("/ask", json={"question": "and when would you reconsider it?",
                                     "history": history}).json()
    assert body["grounded"]
    assert "geohash" in body["query"].lower()
    assert {c["study"] for c in body["citations"]} == {"geo-finder"}


@pytest.mark.parametrize(("payload", "fragment"), [
    ({"question": ""}, "must not be empty"),
    ({"question": "x" * 1001}, "at most 1000"),
    ({"question": "ok?", "k": 0}, "k"),
    ({"question": "ok?", "k": 51}, "k"),
    ({}, "question"),
])
def test_ask_rejects_bad_input(server, payload, fragment):
    response = server.post("/ask", json=payload)
    assert response.status_code == 422
    assert fragment in response.json()["error"]


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_stream_sends_tokens_citations_then_done(server):
    question = {"question": "Why keep an open socket per device instead of polling?"}
    with server.stream("POST", "/ask/stream", json=question) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(response.read().decode())
    kinds = [e for e, _ in events]
    assert kinds[-2:] == ["citations", "done"] and kinds[0] == "token"
    done = events[-1][1]
    assert "".join(d["text"] for e, d in events if e == "token") == done["answer"]
    assert events[-2][1]["citations"] == done["citations"]
    assert done == server.post("/ask", json=question).json()


def test_concepts_and_studies(server):
    listing = server.get("/concepts", params={"q": "hash"}).json()
    assert {c["id"] for c in listing["concepts"]} == {"consistent-hashing", "modulo-hashing",
                                                       "geohash"}
    detail = server.get("/concepts/consistent-hashing").json()
    assert {s["id"] for s in detail["studies"]} >= {"kv-cache", "chat-relay"}
    assert server.get("/concepts", params={"category": "geospatial"}).json()["count"] == 2
    studies = server.get("/studies").json()
    assert studies["count"] == 4
    study = server.get("/studies/kv-cache").json()
    assert study["similar"][0]["id"] == "chat-relay"
    assert any(d["heading"] == "Consistent Hashing vs Modulo Hashing" for d in study["decisions"])
    diff = server.get("/studies/kv-cache/compare/chat-relay").json()
    assert "consistent-hashing" in {c["id"] for c in diff["shared_concepts"]}


def test_unknown_concept_and_study_are_404_with_suggestions(server):
    response = server.get("/concepts/geohsh")
    assert response.status_code == 404 and "geohash" in response.json()["suggestions"]
    response = server.get("/studies/kv-cach")
    assert response.status_code == 404 and response.json()["suggestions"] == ["kv-cache"]
    assert server.get("/studies/kv-cache/compare/nope").status_code == 404


def test_graph_neighbourhood(server):
    data = server.get("/graph", params={"concept": "geohash", "depth": 1}).json()
    ids = {n["id"] for n in data["nodes"]}
    assert {"concept:geohash", "concept:quadtree", "study:geo-finder"} <= ids
    assert all(not i.startswith("document:") for i in ids)
    assert server.get("/graph", params={"concept": "geohash", "depth": 9}).status_code == 422


def test_sources_serves_markdown_and_refuses_traversal(server):
    response = server.get("/sources/case-studies/kv-cache/README.md")
    assert response.status_code == 200 and response.text.startswith("---\nid: kv-cache")
    for bad in ("..%2F..%2Fpyproject.toml", "case-studies/..%2F..%2F..%2Fetc%2Fpasswd",
                "%2Fetc%2Fpasswd"):
        assert server.get(f"/sources/{bad}").status_code in (400, 404)
    assert server.get("/sources/case-studies/kv-cache/missing.md").status_code == 404
    assert server.get("/sources/concepts.yaml").status_code == 404


def test_body_size_is_capped(server):
    response = server.post("/ask", content=b'{"question": "' + b"a" * 70_000 + b'"}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 413 and "limit" in response.json()["error"]


def test_cors_origin_setting(server):
    response = server.get("/health", headers={"Origin": "http://example.test"})
    assert response.headers.get("access-control-allow-origin") == "http://example.test"
    response = server.get("/health", headers={"Origin": "http://evil.test"})
    assert "access-control-allow-origin" not in response.headers


def test_metrics_count_requests_per_route(server):
    server.get("/studies")
    text = server.get("/metrics").text
    assert 'casegraph_requests_total{method="GET",route="/studies",status="200"}' in text
    assert "casegraph_request_seconds_bucket" in text
    assert 'casegraph_index_items{kind="chunks"}' in text


def test_openapi_documents_routes_with_examples(server):
    spec = server.get("/openapi.json").json()
    for path in ("/search", "/ask", "/ask/stream", "/concepts/{concept_id}", "/graph",
                 "/studies/{a}/compare/{b}", "/sources/{path}", "/admin/reindex"):
        assert path in spec["paths"]
    assert "examples" in json.dumps(spec["paths"]["/search"])


def test_reindex_needs_the_key_and_keeps_serving_in_flight_requests(server):
    assert server.post("/admin/reindex").status_code == 401
    assert server.post("/admin/reindex", headers={"X-API-Key": "wrong"}).status_code == 401
    before = server.get("/health").json()["built_at"]
    statuses: list[int] = []
    stop = threading.Event()

    def hammer():
        with httpx.Client(base_url=str(server.base_url), timeout=60) as c:
            while not stop.is_set():
                statuses.append(c.get("/search", params={"q": "failover"}).status_code)
                statuses.append(c.post("/ask", json={"question": "how is failover done?"}
                                       ).status_code)

    def wait_for(n: int) -> None:
        deadline = time.monotonic() + 60
        while len(statuses) < n and time.monotonic() < deadline:
            time.sleep(0.01)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    wait_for(6)
    response = server.post("/admin/reindex", headers={"X-API-Key": "s3cret-key"})
    assert response.status_code == 202, response.text
    deadline = time.monotonic() + 120
    while (job := server.get(response.json()["status_url"], headers={"X-API-Key": "s3cret-key"}
                             ).json())["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    during = len(statuses)
    wait_for(during + 6)
    stop.set()
    for t in threads:
        t.join()
    assert job["state"] == "done", job
    assert job["result"]["reused"] == job["result"]["counts"]["chunks"]
    assert statuses and set(statuses) == {200}
    assert server.get("/health").json()["built_at"] >= before


def test_reindex_is_disabled_without_a_configured_key(fixture_settings, fixture_index):
    app = create_app(fixture_settings.model_copy(update={"api_key": None}), with_ui=False)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        wait_ready(client)
        response = client.post("/admin/reindex", headers={"X-API-Key": "anything"})
        assert response.status_code == 403 and "CASEGRAPH_API_KEY" in response.json()["error"]


def test_routes_answer_503_while_the_first_index_builds(tmp_path, monkeypatch):
    import api.services as services_module
    from tests.conftest import copy_corpus

    release = threading.Event()
    real_ingest = services_module.ingest

    def gated_ingest(*args, **kwargs):
        release.wait(60)
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(services_module, "ingest", gated_ingest)
    settings = make_settings(copy_corpus(tmp_path), tmp_path / "index")
    with live_server(create_app(settings, with_ui=False)) as url, \
            httpx.Client(base_url=url, timeout=60) as client:
        assert client.get("/health").json()["status"] == "building"
        response = client.get("/search", params={"q": "cache"})
        assert response.status_code == 503 and "being built" in response.json()["error"]
        assert response.headers["retry-after"]
        release.set()
        wait_ready(client)
        assert client.get("/search", params={"q": "cache"}).status_code == 200


def test_docs_and_redoc_load_their_assets_from_this_server(server):
    for page, assets in (("/docs", ("swagger-ui-bundle.js", "swagger-ui.css")),
                         ("/redoc", ("redoc.standalone.js",))):
        html = server.get(page).text
        assert "cdn.jsdelivr.net" not in html and "fonts.googleapis.com" not in html
        for asset in assets:
            assert f"/docs-assets/{asset}" in html
            response = server.get(f"/docs-assets/{asset}")
            assert response.status_code == 200 and len(response.content) > 10_000


def test_favicon(server):
    response = server.get("/favicon.ico")
    assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    assert response.text.startswith("<svg")


def test_graph_caps_nodes_and_edges(server):
    data = server.get("/graph", params={"concept": "consistent hashing", "depth": 2,
                                        "limit": 5, "max_edges": 4}).json()
    assert len(data["nodes"]) == 5 and len(data["edges"]) <= 4
    wide = server.get("/graph", params={"concept": "consistent hashing", "depth": 2,
                                        "limit": 500, "max_edges": 5000}).json()
    assert len(wide["nodes"]) > 5 and len(wide["edges"]) > 4


def test_unknown_concept_suggests_the_closest_name_or_alias(server):
    response = server.get("/concepts/kafak")
    assert response.status_code == 404
    assert response.json()["suggestions"][0] == "Apache Kafka"
