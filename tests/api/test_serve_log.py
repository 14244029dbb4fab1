"""The log of a real ``casegraph serve`` on an empty index folder: one line per event."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import copy_corpus

CLI = str(Path(sys.executable).with_name("casegraph"))


def test_first_serve_logs_one_line_per_stage_without_progress_bars_or_debug(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CASEGRAPH_CONTENT_DIR": str(copy_corpus(tmp_path)),
           "CASEGRAPH_INDEX_DIR": str(tmp_path / "index")}
    env.pop("TQDM_DISABLE", None)
    env.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen([CLI, "serve", "--port", str(port)], stdout=log,
                                  stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 240
        status = None
        while time.monotonic() < deadline and status != "ok":
            assert server.poll() is None, log_path.read_text()
            with contextlib.suppress(httpx.TransportError):
                status = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()["status"]
            time.sleep(0.3)
        assert status == "ok", log_path.read_text()
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/search", params={"q": "nearest scooters"}).status_code == 200
        assert httpx.get(f"{base}/ui/", timeout=30).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=60)
    text = log_path.read_text()
    assert "\r" not in text and not re.search(r"\d+%\|", text), text
    assert " DEBUG " not in text and "Warning" not in text, text
    stages = re.findall(r"INFO casegraph build: (.+)", text)
    assert stages[0] == "Reading the content folder." and "Building the concept graph." in stages
    assert len(stages) == len(set(stages)), "a stage was logged more than once"
    assert "serves keyword search over" in text and "casegraph index ready" in text
