"""``casegraph mcp`` driven by a real MCP client session over stdio (the official SDK)."""

from __future__ import annotations

import json
import os
import sys

import anyio
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.conftest import REPO

TOOLS = {"search", "ask", "concept", "compare", "review"}


async def _session_calls(settings) -> dict:
    env = {**os.environ, "CASEGRAPH_INDEX_DIR": str(settings.index_dir),
           "CASEGRAPH_CONTENT_DIR": str(settings.content_dir)}
    params = StdioServerParameters(command=sys.executable, args=["-m", "api.cli", "mcp"],
                                   env=env, cwd=str(REPO))
    out: dict = {}
    with open(os.devnull, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), \
                ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
            out["tools"] = {t.name: t for t in listed.tools}
            for name, args in [
                ("search", {"query": "nearest scooters", "k": 2}),
                ("concept", {"name": "consistent hashing"}),
                ("compare", {"a": "kv-cache", "b": "chat-relay"}),
                ("ask", {"question": "Why does the cache use consistent hashing?"}),
                ("review", {"requirements": "A Redis cache for 60 app servers at 250K reads/s"}),
                ("concept", {"name": "no-such-idea"}),
                ("review", {"requirements": "  "}),
            ]:
                out.setdefault(name, []).append(
                    await session.call_tool(name, args, read_timeout_seconds=240))
    return out


@pytest.fixture(scope="module")
def calls(review_settings) -> dict:
    return anyio.run(_session_calls, review_settings)


def _json(result) -> dict:
    if result.structured_content is not None:
        data = result.structured_content
        return data.get("result", data) if isinstance(data, dict) else data
    return json.loads(result.content[0].text)


def test_the_server_lists_the_five_tools_with_their_arguments(calls) -> None:
    assert set(calls["tools"]) >= TOOLS
    schema = calls["tools"]["review"].input_schema
    assert "requirements" in schema["properties"] and schema["required"] == ["requirements"]
    assert calls["tools"]["search"].description.startswith("Hybrid")


def test_search_concept_compare_and_ask_return_the_api_shapes(calls) -> None:
    search = _json(calls["search"][0])
    assert search["results"][0]["study"] == "geo-finder" and len(search["results"]) == 2
    concept = _json(calls["concept"][0])
    assert concept["id"] == "consistent-hashing"
    assert {s["id"] for s in concept["studies"]} >= {"kv-cache", "chat-relay"}
    compare = _json(calls["compare"][0])
    assert "consistent-hashing" in {c["id"] for c in compare["shared_concepts"]}
    ask = _json(calls["ask"][0])
    assert ask["grounded"] and ask["citations"]


def test_review_tool_returns_the_review_and_its_markdown(calls) -> None:
    review = _json(calls["review"][0])
    assert review["nearest"][0]["study"] == "kv-cache"
    crossed = [d for d in review["decisions"] if d["status"] == "crossed"]
    assert [d["heading"] for d in crossed] == ["Primary Reads vs Replica Reads"]
    assert "## Nearest designs" in review["markdown"]


def test_bad_input_comes_back_as_a_tool_error_that_says_what_to_fix(calls) -> None:
    unknown = calls["concept"][1]
    assert unknown.is_error and "Unknown concept 'no-such-idea'" in unknown.content[0].text
    blank = calls["review"][1]
    assert blank.is_error and "requirements must not be empty" in blank.content[0].text
