"""Bad input and abuse over HTTP: a real uvicorn server on a private copy of the fixture corpus."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from ingest.pipeline import ingest
from tests.conftest import FIXTURE_CORPUS, live_server, make_settings, reseal, wait_ready

KEY = {"X-API-Key": "k3y"}


@pytest.fixture(scope="module")
def private(tmp_path_factory, embedder):
    """A content copy with an extra study whose README is empty, indexed, and a live server."""
    root = tmp_path_factory.mktemp("hardening")
    content = root / "content"
    shutil.copytree(FIXTURE_CORPUS, content)
    (content / "case-studies" / "empty-study").mkdir()
    (content / "case-studies" / "empty-study" / "README.md").write_text("")
    settings = make_settings(content, root / "index", api_key="k3y")
    ingest(content, settings.index_dir, embedder, progress=False)
    app = create_app(settings, with_ui=False)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        wait_ready(client)
        client.content = content
        client.app = app
        yield client


def test_bad_unicode_questions_fail_alone_while_concurrent_searches_succeed(private):
    # JSON escapes may carry lone surrogates; json.dumps writes them as \\ud800
    bad = json.dumps({"question": "consistent hashing \ud800 where"}).encode()
    headers = {"content-type": "application/json"}

    def call(n: int) -> tuple[str, int, str]:
        if n % 4 == 0:
            response = private.post("/ask", content=bad, headers=headers)
            return "bad", response.status_code, response.text
        response = private.get("/search", params={"q": f"replication lag number {n}"})
        return "good", response.status_code, ""

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, range(160)))
    good = [status for kind, status, _ in results if kind == "good"]
    bad_results = [(status, text) for kind, status, text in results if kind == "bad"]
    assert len(good) == 120 and set(good) == {200}
    assert len(bad_results) == 40
    assert all(status == 422 and "invalid character at position 19" in text
               for status, text in bad_results)
    stream = private.post("/ask/stream", content=bad, headers=headers)
    assert stream.status_code == 422
    history = private.post("/ask", headers=headers, content=json.dumps(
        {"question": "and why?", "history": [{"role": "user", "content": "geohash \udfff"}]}))
    assert history.status_code == 422 and "content" in history.json()["error"]


def test_a_stream_failing_after_its_header_ends_with_an_error_event(private, monkeypatch):
    def failing(*args, **kwargs):
        yield "token", "A first word"
        raise RuntimeError("engine broke midway")

    monkeypatch.setattr(private.app.state.engine, "stream", failing)
    response = private.post("/ask/stream", json={"question": "How do caches fail over?"})
    assert response.status_code == 200
    assert response.text.endswith('event: error\ndata: {"error": "The answer failed on the '
                                  'server; try again."}\n\n')
    assert "engine broke" not in response.text


def test_chunked_body_over_the_limit_is_413(private):
    def body():
        yield b'{"question": "'
        for _ in range(16):
            yield b"a" * 65_536
        yield b'"}'

    response = private.post("/ask", content=body(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "limit" in response.json()["error"]
    assert private.post("/ask", json={"question": "How is a cache primary replaced?"}
                        ).status_code == 200


def test_head_health_is_200(private):
    response = private.head("/health")
    assert response.status_code == 200 and response.content == b""


def test_metrics_labels_stay_bounded_whatever_the_paths_and_methods(private):
    for n in range(30):
        private.get(f"/random-{n}/x")
        private.request(f"BREW{n}", "/health")
    private.get("/studies/kv-cache")
    text = private.get("/metrics").text
    routes = set(re.findall(r'route="([^"]*)"', text))
    methods = set(re.findall(r'method="([^"]*)"', text))
    assert not any("random" in r for r in routes) and not any("BREW" in m for m in methods)
    assert {"unmatched", "/studies/{study_id}", "/health"} <= routes
    assert "other" in methods


@pytest.mark.parametrize("path", [
    "case-studies/kv-cache/%00README.md",
    "%00",
    "case-studies/" + "a" * 300 + ".md",
    "/".join(["deep"] * 400) + ".md",
])
def test_sources_refuses_nul_and_over_long_names_with_400(private, path):
    response = private.get(f"/sources/{path}")
    assert response.status_code == 400, response.text
    assert "control characters" in response.json()["error"]


def test_sources_serves_only_indexed_utf8_files(private):
    content: Path = private.content
    latin1 = content / "case-studies" / "kv-cache" / "latin1.md"
    latin1.write_bytes("caf\xe9\n".encode("latin-1"))
    try:
        assert private.get("/sources/case-studies/kv-cache/latin1.md").status_code == 404
    finally:
        latin1.unlink()
    readme = content / "case-studies" / "geo-finder" / "README.md"
    original = readme.read_bytes()
    readme.write_bytes(b"\xff\xfe broken since the build")
    try:
        assert private.get("/sources/case-studies/geo-finder/README.md").status_code == 404
    finally:
        readme.write_bytes(original)
    assert private.get("/sources/case-studies/geo-finder/README.md").status_code == 200


def test_a_study_with_an_empty_readme_is_listed_and_filterable(private):
    studies = {s["id"] for s in private.get("/studies").json()["studies"]}
    assert "empty-study" in studies
    response = private.get("/search", params={"q": "cache", "study": "empty-study"})
    assert response.status_code == 200 and response.json()["results"] == []


def test_reindex_is_a_job_answered_with_202_and_polled(private):
    assert private.get("/admin/reindex/whatever").status_code == 401
    started = private.post("/admin/reindex", headers=KEY)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] == "running" and started.headers["location"] == job["status_url"]
    again = private.post("/admin/reindex", headers=KEY)
    if again.status_code == 409:  # the first is still running: it is the one to poll
        assert again.json()["job"]["id"] == job["id"]
    deadline = time.monotonic() + 120
    while (status := private.get(job["status_url"], headers=KEY).json())["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert status["state"] == "done", status
    assert status["result"]["counts"]["studies"] == 5 and status["finished_at"]
    assert private.get("/admin/reindex/nope", headers=KEY).status_code == 404
    if again.status_code == 202:
        while private.get(again.json()["status_url"], headers=KEY).json()["state"] == "running":
            time.sleep(0.2)


@pytest.mark.parametrize(("name", "data", "reseal_manifest"), [
    ("vectors.faiss", b"\x00" * 64, False),
    ("vectors.faiss", b"\x00" * 64, True),
    ("graph.json", b"[1, 2, 3]", True),
])
def test_a_broken_index_is_reported_not_stuck_building_and_503s_leak_nothing(
        tmp_path, private, name, data, reseal_manifest):
    index_dir = tmp_path / "index"
    shutil.copytree(os.path.realpath(private.content.parent / "index"), index_dir)
    (index_dir / name).write_bytes(data)
    if reseal_manifest:
        reseal(index_dir)
    settings = make_settings(private.content, index_dir)
    with live_server(create_app(settings, with_ui=False)) as url, \
            httpx.Client(base_url=url, timeout=60) as client:
        health = _wait_settled(client)
        assert health["status"] == "unavailable" and name in health["message"]
        response = client.get("/search", params={"q": "cache"})
        assert response.status_code == 503 and name in response.json()["error"]
        assert str(tmp_path) not in response.text and "faiss::" not in response.text
        assert "Error in" not in response.text


def _wait_settled(client: httpx.Client, timeout: float = 60) -> dict:
    """Poll /health until the server is no longer building (it must not stay there)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = client.get("/health").json()
        if health["status"] != "building":
            return health
        time.sleep(0.2)
    raise AssertionError("the server stayed 'building'")
