"""Seconds from `casegraph serve` on an empty index folder to /health answering, to the first
/search and /ask answers (keyword-first), and to the hybrid index.

    .venv/bin/python bench/first_start.py /tmp/first-start    # a scratch folder, emptied first

Prints one JSON object; the server's log stays in the folder (``serve.log``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

QUERY = "how do consumers share partitions"
QUESTION = "How does a chat service keep message order per conversation?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_answers(base: str, started: float, timeout: float = 1800) -> dict:
    """Poll /health; time the first /search and /ask answers, and the switch to hybrid."""
    marks: dict = {}

    def mark(name: str) -> None:
        marks.setdefault(name, round(time.monotonic() - started, 1))

    while time.monotonic() - started < timeout:
        try:
            health = httpx.get(f"{base}/health", timeout=10).json()
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        mark(f"status_{health['status']}")
        if "search" not in marks and health["status"] in ("keyword-only", "ok"):
            found = httpx.get(f"{base}/search", params={"q": QUERY}, timeout=300)
            if found.status_code == 200 and found.json()["results"]:
                mark("search")
                marks["search_keyword_only"] = found.json()["keyword_only"]
            answer = httpx.post(f"{base}/ask", json={"question": QUESTION}, timeout=300)
            if answer.status_code == 200:
                mark("ask")
                marks["ask_grounded"] = answer.json()["grounded"]
                marks["ask_keyword_only"] = answer.json()["keyword_only"]
        if health["status"] == "ok":
            return marks
        time.sleep(0.5)
    raise TimeoutError(f"no hybrid index after {timeout:.0f} s: {marks}")


def main(folder: str) -> None:
    root = Path(folder)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    port = free_port()
    cli = Path(sys.executable).with_name("casegraph")
    env = {"CASEGRAPH_INDEX_DIR": str(root / "index"), "CASEGRAPH_CONTENT_DIR": "content"}
    started = time.monotonic()
    with (root / "serve.log").open("w") as log:
        server = subprocess.Popen([str(cli), "serve", "--port", str(port)], stdout=log,
                                  stderr=subprocess.STDOUT, env={**os.environ, **env})
    try:
        marks = first_answers(f"http://127.0.0.1:{port}", started)
    finally:
        server.terminate()
        server.wait(60)
    print(json.dumps(marks))


if __name__ == "__main__":
    main(sys.argv[1])
