"""The design review end to end: engine, ``POST /review`` on a live server, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from api.app import create_app
from api.eval_data import citation_valid
from api.review import review
from api.review_markdown import review_markdown
from tests.conftest import REPO, live_server, wait_ready

HEAVY = ("A Redis cache tier for our web fleet: 250K reads/s at peak from 60 app servers, keys of "
         "about 2 KB, read:write 10:1, and p99 reads must stay under 1 ms.")
LIGHT = "A small Redis cache for 20 app servers with 5,000 reads per second."


def test_review_finds_the_cache_study_and_flags_the_crossed_trigger(review_index) -> None:
    result = review(review_index, HEAVY)
    assert 3 <= len(result.nearest) <= 5
    assert result.nearest[0].study == "kv-cache"
    assert "Redis" in result.nearest[0].shared_concepts
    decision = next(d for d in result.decisions if d.heading == "Primary Reads vs Replica Reads")
    assert decision.status == "crossed"
    assert result.decisions[0].status == "crossed"  # most pressing first
    crossed = [c for c in decision.conditions if c.status == "crossed"]
    assert {c.measure for c in crossed} == {"rate:reads", "servers", "latency"}
    assert decision.choice.startswith("Serve every read from the primary")
    assert set(decision.citations) == {"choice", "trade_off", "trigger"}
    assert "Primary Reads vs Replica Reads" in result.summary


def test_every_citation_quotes_its_passage_and_the_trigger_lines(review_index,
                                                                 review_settings) -> None:
    result = review(review_index, HEAVY)
    assert result.citations and all(citation_valid(review_index, c) for c in result.citations)
    decision = next(d for d in result.decisions if d.heading == "Primary Reads vs Replica Reads")
    trigger = result.citations[decision.citations["trigger"] - 1]
    assert trigger.quote.startswith("**When to reconsider:** When reads pass 200K reads/s")
    assert trigger.path == "case-studies/kv-cache/03-key-decisions.md"
    source = (review_settings.content_dir / trigger.path).read_text(encoding="utf-8").splitlines()
    assert "\n".join(source[trigger.start_line - 1:trigger.end_line]) == trigger.quote
    assert trigger.end_line == trigger.start_line + 1  # the trigger's two lines, not the chunk


def test_numbers_below_the_thresholds_are_not_crossed(review_index) -> None:
    result = review(review_index, LIGHT)
    decision = next(d for d in result.decisions if d.heading == "Primary Reads vs Replica Reads")
    assert decision.status == "not_crossed"
    unknown = next(d for d in result.decisions if d.heading == "WebSocket vs Long Polling")
    assert unknown.status == "unknown"  # a share of clients: not in the requirements


def test_back_of_the_envelope_from_the_users_numbers(review_index) -> None:
    result = review(review_index, "An event store taking 100 million events per day of 500 "
                                  "bytes each, kept for 2 years, read 3 times per write (3:1).")
    lines = {e.label: e for e in result.envelope}
    assert lines["New data per day"].value == "50 GB"
    assert lines["Stored over 2 years"].value == "36.5 TB"
    assert lines["With replication factor 3"].value == "110 TB"
    assert "peak" in lines["Writes per second"].value
    assert any("replication factor 3" in a for a in result.assumptions)
    text = review_markdown(result)
    assert "## Back of the envelope" in text and "50 GB" in text


def test_http_review_and_its_422s(review_settings) -> None:
    with live_server(create_app(review_settings, with_ui=False)) as url, \
            httpx.Client(base_url=url, timeout=60) as client:
        wait_ready(client)
        r = client.post("/review", json={"requirements": HEAVY, "studies": 3})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["nearest"][0]["study"] == "kv-cache"
        assert body["mode"] == "extractive"
        assert any(d["status"] == "crossed" for d in body["decisions"])
        assert body["citations"][0]["n"] == 1
        empty = client.post("/review", json={"requirements": "   "})
        assert empty.status_code == 422
        assert "requirements must not be empty" in empty.json()["error"]
        many = client.post("/review", json={"requirements": HEAVY, "studies": 9})
        assert many.status_code == 422 and "studies" in many.json()["error"]
        missing = client.post("/review", json={})
        assert missing.status_code == 422 and "requirements" in missing.json()["error"]


def _cli(settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "CASEGRAPH_INDEX_DIR": str(settings.index_dir),
           "CASEGRAPH_CONTENT_DIR": str(settings.content_dir)}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], input=stdin, text=True,
                          capture_output=True, env=env, cwd=REPO, timeout=300)


def test_cli_review_reads_a_file_or_stdin(review_settings, tmp_path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(HEAVY, encoding="utf-8")
    out = _cli(review_settings, "review", str(path))
    assert out.returncode == 0, out.stderr
    assert "**CROSSED** Key-Value Cache: **Primary Reads vs Replica Reads**" in out.stdout
    assert "## Sources" in out.stdout
    piped = _cli(review_settings, "review", "-", "--json", stdin=LIGHT)
    assert piped.returncode == 0, piped.stderr
    data = json.loads(piped.stdout)
    assert data["nearest"][0]["study"] == "kv-cache"


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("review", "/nonexistent/requirements.txt"), None, "No requirements file"),
    (("review", "-"), "  \n", "requirements must not be empty"),
])
def test_cli_review_bad_input_exits_2(review_settings, args, stdin, message) -> None:
    out = _cli(review_settings, *args, stdin=stdin)
    assert out.returncode == 2
    assert message in out.stderr
