"""casegraph benchmarks: ingest, search and /ask latency, HTTP throughput, start-up, memory,
retrieval quality, and llama-index's default pipeline side by side.

    .venv/bin/python bench/run.py [--content content] [--questions bench/questions.jsonl] [--quick]

Prints a report and writes it as JSON to bench/results/<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.answer import AnswerEngine  # noqa: E402
from api.evaluation import evaluate, load_questions, score  # noqa: E402
from api.loader import embedder_for, load_index  # noqa: E402
from index.settings import Settings  # noqa: E402
from ingest.pipeline import ingest  # noqa: E402

CLI = str(Path(sys.executable).with_name("casegraph"))


def machine() -> dict:
    import faiss
    import onnxruntime
    import sentence_transformers
    import torch

    cpu = platform.processor() or ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return {"cpu": cpu, "cores": os.cpu_count(),
            "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "os": platform.platform(), "python": platform.python_version(),
            "torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__,
            "faiss": faiss.__version__, "onnxruntime": onnxruntime.__version__,
            "embed_backend": Settings().embed_backend}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 2)


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - started)
    return out


def bench_ingest(content: Path, tmp: Path, settings: Settings) -> dict:
    """Cold CLI ingest, in-process ingest, and re-ingest after editing one file."""
    started = time.perf_counter()
    subprocess.run([CLI, "ingest", str(content), "--index", str(tmp / "cold"), "--quiet"],
                   check=True, capture_output=True)
    cold_cli = time.perf_counter() - started
    copy = tmp / "content"
    shutil.copytree(content, copy)
    embedder = embedder_for(settings)
    started = time.perf_counter()
    first = ingest(copy, tmp / "warm", embedder, progress=False)
    in_process = time.perf_counter() - started
    target = sorted(copy.rglob("02-architecture.md"))[0]
    target.write_text(target.read_text() + "\nOne more sentence about the design, added by the "
                      "benchmark to measure re-ingest.\n")
    started = time.perf_counter()
    again = ingest(copy, tmp / "warm", embedder, progress=False)
    re_in_process = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([CLI, "ingest", str(copy), "--index", str(tmp / "warm"), "--quiet"],
                   check=True, capture_output=True)
    re_cli = time.perf_counter() - started
    return {"chunks": first.manifest.counts["chunks"], "cold_cli_s": round(cold_cli, 2),
            "cold_in_process_s": round(in_process, 2),
            "reingest_one_edit_in_process_s": round(re_in_process, 2),
            "reingest_one_edit_cli_s": round(re_cli, 2),
            "reingest_embedded": again.embedded, "reingest_reused": again.reused}


def bench_in_process(settings: Settings, questions: list[str]) -> dict:
    index = load_index(settings)
    engine = AnswerEngine(settings)
    index.embedder.clear_cache()
    cold = timed(lambda q: index.search(q, k=10), questions)
    warm = timed(lambda q: index.search(q, k=10), questions)
    index.embedder.clear_cache()
    unwarmed = timed(lambda q: engine.answer(index, q), questions)
    started = time.perf_counter()
    embedded = AnswerEngine(settings).warm(index, threading.Event())  # what a server does
    warm_up = time.perf_counter() - started
    engine = AnswerEngine(settings)  # a new process: reads the saved sentence vectors
    index.embedder.clear_cache()
    asks = timed(lambda q: engine.answer(index, q), questions)
    return {"search_cold_cache_p50_ms": pct(cold, 50), "search_cold_cache_p99_ms": pct(cold, 99),
            "search_warm_cache_p50_ms": pct(warm, 50), "search_warm_cache_p99_ms": pct(warm, 99),
            "ask_unwarmed_p50_ms": pct(unwarmed, 50), "ask_unwarmed_p99_ms": pct(unwarmed, 99),
            "sentences_warmed": embedded, "sentence_warm_up_s": round(warm_up, 1),
            "ask_p50_ms": pct(asks, 50), "ask_p99_ms": pct(asks, 99), "queries": len(questions)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(url: str, method: str, payloads: list, concurrency: int, max_requests: int,
         max_seconds: float) -> dict:
    """A bounded closed-loop load: ``concurrency`` workers, stop at a request or time cap."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    counter = iter(range(max_requests))

    def worker() -> None:
        nonlocal errors
        with httpx.Client(timeout=60) as client:
            for n in counter:
                if time.monotonic() > deadline:
                    return
                payload = payloads[n % len(payloads)]
                started = time.perf_counter()
                r = (client.get(url, params=payload) if method == "GET"
                     else client.post(url, json=payload))
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    errors += r.status_code != 200

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(worker)
    wall = time.perf_counter() - started
    return {"concurrency": concurrency, "requests": len(latencies), "errors": errors,
            "rps": round(len(latencies) / wall, 1), "p50_ms": pct(latencies, 50),
            "p99_ms": pct(latencies, 99)}


def unique(questions: list[str], count: int, level: int, key: str) -> list[dict]:
    """``count`` distinct payloads (a numbered suffix), so no request hits the query cache."""
    return [{key: f"{questions[n % len(questions)]} ({key} {level}-{n})"} for n in range(count)]


def bench_server(index_dir: Path, questions: list[str], levels: list[int], cap: int,
                 seconds: float) -> dict:
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([CLI, "serve", "--index", str(index_dir), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).json()["status"] == "ok":
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.perf_counter() - started > 120:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        startup = time.perf_counter() - started
        search = [load(f"{base}/search", "GET", unique(questions, cap, c, "q"), c, cap, seconds)
                  for c in levels]
        ask = [load(f"{base}/ask", "POST", unique(questions, cap, c, "question"), c, cap,
                    seconds) for c in levels]
        peak = _peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"startup_s": round(startup, 2), "peak_rss_mb": peak, "search": search, "ask": ask}


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


def bench_peer(content: Path, settings: Settings, labelled: list, ours: dict) -> dict:
    from bench.peer import LlamaIndexPeer

    peer = LlamaIndexPeer(content, settings.model_path)
    scores, latencies = [], []
    for q in labelled:
        started = time.perf_counter()
        ranked = peer.ranked_studies(q.question)
        latencies.append(time.perf_counter() - started)
        scores.append(score(ranked, q.studies))
    r5 = round(statistics.mean(s[1] for s in scores), 4)
    mrr = round(statistics.mean(s[2] for s in scores), 4)
    return {"nodes": peer.nodes, "build_s": round(peer.build_seconds, 2),
            "query_p50_ms": pct(latencies, 50), "query_p99_ms": pct(latencies, 99),
            "recall@5": r5, "mrr@10": mrr,
            "ratios_casegraph_over_peer": {
                "build_time": round(ours["build_s"] / peer.build_seconds, 2),
                "query_p50": round(ours["query_p50_ms"] / pct(latencies, 50), 2),
                "recall@5": round(ours["recall@5"] / r5, 3),
                "mrr@10": round(ours["mrr@10"] / mrr, 3)}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--content", default=str(ROOT / "content"))
    ap.add_argument("--questions", default=str(ROOT / "bench" / "questions.jsonl"))
    ap.add_argument("--quick", action="store_true", help="fewer queries and load levels")
    args = ap.parse_args()
    content = Path(args.content).resolve()
    questions = load_questions(Path(args.questions))
    if args.quick:
        questions = questions[::6]
    texts = [q.question for q in questions]
    report: dict = {"machine": machine(), "command": " ".join([Path(sys.executable).name,
                                                                *sys.argv]),
                    "when": datetime.now(UTC).isoformat(timespec="seconds")}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        settings = Settings(content_dir=content, index_dir=tmp / "cold")
        report["ingest"] = bench_ingest(content, tmp, settings)
        print(json.dumps(report["ingest"]), flush=True)
        report["in_process"] = bench_in_process(settings, texts)
        print(json.dumps(report["in_process"]), flush=True)
        levels = [1, 8] if args.quick else [1, 8, 32]
        report["http"] = bench_server(tmp / "cold", texts, levels, 60 if args.quick else 300,
                                      10 if args.quick else 20)
        print(json.dumps(report["http"]), flush=True)
        index = load_index(settings)
        quality = evaluate(index, questions, ["bm25", "dense", "hybrid", "ask"], settings)
        report["quality"] = quality
        labelled = [q for q in questions if q.studies and q.kind == "study"]
        ours = {"build_s": report["ingest"]["cold_in_process_s"],
                "query_p50_ms": report["in_process"]["search_cold_cache_p50_ms"],
                "recall@5": quality["modes"]["hybrid"]["study"]["recall@5"],
                "mrr@10": quality["modes"]["hybrid"]["study"]["mrr@10"]}
        report["peer"] = bench_peer(content, settings, labelled, ours)
        print(json.dumps(report["peer"]), flush=True)
    write_report(report)


def write_report(report: dict, prefix: str = "") -> Path:
    """Save a report as bench/results/<prefix><UTC time>.json and say where."""
    out = ROOT / "bench" / "results" / f"{prefix}{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"report written to {out}")
    return out


if __name__ == "__main__":
    main()
