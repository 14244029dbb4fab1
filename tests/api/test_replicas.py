"""Several app instances on one PostgreSQL database: version switch and reindex under load."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from api.app import create_app
from api.routes import VERSION_HEADER
from index.stores import open_backend
from ingest.pipeline import ingest
from tests.conftest import copy_corpus, live_server, wait_ready


@pytest.fixture
def replica_settings(fixture_settings, pg_database):
    return fixture_settings.model_copy(update={"store_url": pg_database, "store_poll_s": 0.2})


def _edited_corpus(tmp_path):
    """The fixture corpus with a word changed everywhere, so every edited chunk gets a new id."""
    content = copy_corpus(tmp_path)
    for path in content.rglob("*.md"):
        path.write_text(path.read_text().replace(" and ", " plus "))
    return content


def _wait_version(client: httpx.Client, version: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while client.get("/health").json()["version"] != version:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{client.base_url} did not switch to version {version}")
        time.sleep(0.1)


def test_two_instances_switch_to_a_new_version_without_restart(replica_settings, embedder,
                                                                 tmp_path):
    backend = open_backend(replica_settings)
    first = ingest(replica_settings.content_dir, backend, embedder, progress=False).version
    apps = [create_app(replica_settings, with_ui=False, background_start=False) for _ in range(2)]
    with live_server(apps[0]) as url_a, live_server(apps[1]) as url_b, \
            httpx.Client(base_url=url_a, timeout=30) as a, \
            httpx.Client(base_url=url_b, timeout=30) as b:
        for client in (a, b):
            assert wait_ready(client)["version"] == first
            assert client.get("/health").json()["store"] == "postgresql"
        second = ingest(_edited_corpus(tmp_path), backend, embedder, progress=False).version
        assert second != first
        for client in (a, b):
            _wait_version(client, second)
            hit = client.get("/search", params={"q": "sentinel process primary", "k": 3})
            assert hit.headers[VERSION_HEADER] == second
            assert any(" plus " in r["text"] for r in hit.json()["results"])


def test_reindex_under_load_drops_no_request_and_never_mixes_versions(replica_settings,
                                                                      embedder, tmp_path):
    backend = open_backend(replica_settings)
    ingest(replica_settings.content_dir, backend, embedder, progress=False)
    app = create_app(replica_settings, with_ui=False, background_start=False)
    questions = ["How do you shard keys across cache nodes?",
                 "What happens to recent writes when the primary crashes?",
                 "How are nearby scooters found?"]
    answers: list[tuple[int, str, list[dict]]] = []
    stop = threading.Event()

    def load(client: httpx.Client, n: int) -> None:
        while not stop.is_set():
            r = client.post("/ask", json={"question": questions[n % len(questions)]})
            body = r.json() if r.status_code == 200 else {}
            answers.append((r.status_code, r.headers.get(VERSION_HEADER, ""),
                            body.get("citations", [])))
            n += 1

    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        wait_ready(client)
        with ThreadPoolExecutor(4) as pool:
            running = [pool.submit(load, client, n) for n in range(4)]
            time.sleep(1.0)
            new = ingest(_edited_corpus(tmp_path), backend, embedder, progress=False).version
            _wait_version(client, new)
            time.sleep(1.0)
            stop.set()
            for f in running:
                f.result()
    assert answers and all(status == 200 for status, _, _ in answers)
    versions = {v for _, v, _ in answers}
    assert new in versions and len(versions) == 2
    stores = {}
    for _, version, citations in answers:
        assert citations
        if version not in stores:
            stores[version] = backend.open(version=version)
        for c in citations:
            chunk = stores[version].chunk(c["chunk_id"])
            assert chunk is not None, (version, c["chunk_id"])
            assert c["quote"] in chunk.text

