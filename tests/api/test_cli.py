"""The casegraph command, run as a user runs it (a subprocess of the installed script)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_CORPUS

CLI = [str(Path(sys.executable).with_name("casegraph"))]


def run(*args: str, stdin: str | None = None, env: dict | None = None):
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli")
    content = root / "content"
    shutil.copytree(FIXTURE_CORPUS, content)
    index = root / "index"
    result = run("ingest", str(content), "--index", str(index), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "Indexed" in result.stdout and "chunks" in result.stdout
    return content, index


def test_search_json(built):
    _, index = built
    result = run("search", "nearest scooters", "-k", "2", "--index", str(index), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["query"] == "nearest scooters" and len(data["results"]) == 2
    assert data["results"][0]["study"] == "geo-finder"


def test_search_reads_queries_from_stdin_as_json_lines(built):
    _, index = built
    result = run("search", "--index", str(index), "-k", "1",
                 stdin="nearest scooters\n\nwebsocket heartbeat\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [x["query"] for x in lines] == ["nearest scooters", "websocket heartbeat"]
    assert lines[1]["results"][0]["study"] == "chat-relay"


def test_search_text_output_and_filters(built):
    _, index = built
    result = run("search", "replicas", "--study", "kv-cache", "--chapter", "architecture",
                 "--index", str(index))
    assert result.returncode == 0
    assert "Key-Value Cache" in result.stdout and "chat-relay" not in result.stdout


def test_concept_json_and_text(built):
    _, index = built
    data = json.loads(run("concept", "hash ring", "--json", "--index", str(index)).stdout)
    assert set(data) == {"id", "name", "aliases", "category", "definition", "studies", "related",
                         "alternatives"}
    assert {s["id"] for s in data["studies"]} >= {"kv-cache", "chat-relay"}
    assert all(s["evidence"] for s in data["studies"] if s["mentions"])
    text = run("concept", "geohash", "--index", str(index)).stdout
    assert "Alternative: quadtree" in text and "2,000 scooters" in text


def run_in_one_process(*commands: list[str], env: dict | None = None) -> str:
    """Run CLI commands in one fresh Python process; returns its output, which ends with
    whether torch, onnxruntime, bm25s, networkx and the ingest pipeline were imported."""
    calls = "".join(f"assert main({c!r}) == 0\n" for c in commands)
    probe = ("import sys\nfrom api.cli import main\n" + calls + "".join(
        f"print('{name} loaded:', '{name}' in sys.modules)\n"
        for name in ("torch", "onnxruntime", "bm25s", "networkx", "ingest.pipeline")))
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=300, env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_concept_and_stats_never_load_the_model(built):
    _, index = built
    out = run_in_one_process(["stats", "--index", str(index)])
    assert "networkx loaded: False" in out  # stats reads the manifest alone
    out = run_in_one_process(["concept", "geohash", "--index", str(index)],
                             ["stats", "--index", str(index)])
    assert "torch loaded: False" in out and "onnxruntime loaded: False" in out
    assert "bm25s loaded: False" in out and "ingest.pipeline loaded: False" in out
    assert re.search(r"\(geo-finder, \d+ passages?\)", out)
    assert not re.search(r"\b1 passages\b", out)


def test_ask_renders_markdown_for_the_terminal(built):
    _, index = built
    result = run("ask", "why geohash over a quadtree?", "--index", str(index))
    assert result.returncode == 0, result.stderr
    assert "**" not in result.stdout and "Sources" in result.stdout
    assert re.search(r"\[1\] case-studies/\S+:\d+-\d+", result.stdout)


def test_stats_and_ask(built):
    _, index = built
    stats = json.loads(run("stats", "--json", "--index", str(index)).stdout)
    assert stats["counts"]["studies"] == 4 and stats["model"] == "all-MiniLM-L6-v2"
    assert stats["version"] == Path(os.path.realpath(index)).name
    missing = run("stats", "--index", str(index.parent / "no-index"))
    assert missing.returncode == 1 and "casegraph ingest" in missing.stderr
    answer = json.loads(run("ask", "why geohash over a quadtree?", "--json",
                            "--index", str(index)).stdout)
    assert answer["grounded"] and answer["citations"]


def test_eval_reports_per_mode(built, tmp_path):
    _, index = built
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"id": "a", "question": "closest scooters to a rider", "studies": ["geo-finder"]}\n'
        '{"id": "b", "question": "sockets per device and heartbeats", "studies": ["chat-relay"]}\n'
        '{"id": "c", "question": "best pasta recipe", "studies": [], "kind": "off_topic"}\n')
    result = run("eval", str(questions), "--index", str(index), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["modes"]) == {"hybrid", "dense", "bm25", "ask"}
    assert report["modes"]["hybrid"]["study"]["recall@5"] == 1.0
    assert report["ask"]["off_topic_declined"] == 1.0 and not report["ask"]["invalid_citations"]


@pytest.mark.parametrize(("args", "code", "message"), [
    (["concept", "warp drive"], 2, "Unknown concept"),
    (["search", "x", "--study", "nope"], 2, "Unknown study"),
    (["search", "x", "-k", "0"], 2, "-k must be between 1 and 50"),
])
def test_bad_input_exits_2_with_a_message(built, args, code, message):
    _, index = built
    result = run(*args, "--index", str(index))
    assert result.returncode == code and message in result.stderr


def test_missing_index_and_bad_content_exit_1(tmp_path):
    result = run("search", "x", "--index", str(tmp_path / "none"))
    assert result.returncode == 1 and "casegraph ingest" in result.stderr
    result = run("ingest", str(tmp_path / "nothing-here"), "--index", str(tmp_path / "i"))
    assert result.returncode == 1 and "does not exist" in result.stderr


def test_search_and_ask_run_without_torch(built):
    _, index = built
    out = run_in_one_process(["search", "geohash cells", "-k", "2", "--index", str(index)],
                             ["ask", "why geohash?", "--index", str(index)])
    assert "torch loaded: False" in out
    assert "1. [" in out and "Sources" in out


def test_prepare_exports_once_then_reuses(tmp_path):
    env = {"CASEGRAPH_MODEL_CACHE_DIR": str(tmp_path)}
    first = run("prepare", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Exported and checked")
    assert list(tmp_path.glob("*/model-fp32.onnx"))
    again = run("prepare", env=env)
    assert again.stdout.startswith("Reusing")


@pytest.fixture(scope="module")
def remote(built):
    """A real server over the ``built`` index, and the environment pointing the CLI at it
    (with a local index setting that does not exist, so nothing can be read locally)."""
    from api.app import create_app
    from index.settings import Settings
    from tests.conftest import live_server

    content, index = built
    app = create_app(Settings(content_dir=content, index_dir=index), with_ui=False,
                     background_start=False)
    with live_server(app) as url:
        yield {"CASEGRAPH_SERVER_URL": url, "CASEGRAPH_INDEX_DIR": str(index.parent / "none")}


def test_remote_mode_prints_what_the_local_index_prints(built, remote):
    _, index = built
    for args in (("search", "nearest scooters", "-k", "3", "--json"),
                 ("concept", "geohash", "--json"),
                 ("ask", "why geohash over a quadtree?", "--json")):
        over_http = run(*args, env=remote)
        assert over_http.returncode == 0, over_http.stderr
        local = run(*args, "--index", str(index))
        assert json.loads(over_http.stdout) == json.loads(local.stdout), args
    text = run("search", "nearest scooters", "-k", "2", env=remote).stdout
    assert re.search(r"1\. \[cosine 0\.\d\d · keyword match \d+%\] ", text)
    stats = json.loads(run("stats", "--json", env=remote).stdout)
    local_stats = json.loads(run("stats", "--json", "--index", str(index)).stdout)
    assert stats.pop("index") == remote["CASEGRAPH_SERVER_URL"]
    local_stats.pop("index")
    assert stats == local_stats


def test_remote_search_and_ask_never_load_the_model(remote):
    out = run_in_one_process(["search", "nearest scooters", "-k", "1"],
                             ["ask", "why geohash over a quadtree?"], env=remote)
    assert "torch loaded: False" in out and "onnxruntime loaded: False" in out
    assert "Sources" in out


def test_remote_mode_errors(remote):
    refused = run("search", "x", "--study", "kv-cach", env=remote)
    assert refused.returncode == 2 and "Did you mean: kv-cache" in refused.stderr
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    for args in (("search", "cache"), ("ask", "what is a cache?"), ("concept", "geohash"),
                 ("stats",)):
        result = run(*args, env={**remote, "CASEGRAPH_SERVER_URL": closed})
        assert result.returncode == 2, args
        assert f"cannot reach the casegraph server at {closed}" in result.stderr
        assert "Traceback" not in result.stderr
