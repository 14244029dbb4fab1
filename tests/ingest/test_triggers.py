"""Structured "When to reconsider" triggers, on the wording the studies use."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.decisions import find_decisions
from ingest.markdown import parse_markdown
from ingest.triggers import is_numeric, parse_trigger, trigger_counts
from tests.conftest import REPO


def one(text: str):
    (c,) = parse_trigger(text)
    return c


def test_comparison_threshold_and_unit() -> None:
    c = one("when sustained dispatch exceeds about 5,000 tasks/sec, move the ready queue.")
    assert (c.measure, c.comparison, c.threshold, c.unit) == ("rate:tasks", ">", 5000, "/s")
    assert c.scope is None and not c.target
    assert "exceeds about 5,000 tasks/sec" in c.text


def test_below_and_or_more() -> None:
    c = one("For an enterprise deployment of under 5 million mailboxes, use Dovecot.")
    assert (c.measure, c.comparison, c.threshold) == ("users", "<", 5e6)
    c = one("or if the service expands to a region with five or more zones, re-layout.")
    assert (c.measure, c.comparison, c.threshold) == ("zones", ">=", 5)


def test_alternatives_each_become_a_condition() -> None:
    conds = parse_trigger("If the average message shrank below about 8 KB (for example a relay), "
                          "or if peak volume dropped below 50K messages/s, use full messages.")
    assert [(c.measure, c.comparison, c.threshold) for c in conds] == [
        ("object_size", "<", 8000), ("rate:messages", "<", 50_000)]


def test_numbers_joined_by_or_take_the_comparison_and_scope() -> None:
    conds = parse_trigger("When a shard passes 15K appends per second at peak or 6 TB of live "
                          "log data, reshard.")
    assert [(c.measure, c.comparison, c.scope) for c in conds] == [
        ("rate:writes", ">", "shard"), ("size", ">", "shard")]


def test_a_parenthesis_takes_the_comparison_but_not_the_scope() -> None:
    conds = parse_trigger("When the index exceeds about a third of a node's RAM (roughly 20 GB, "
                          "for instance after adding embeddings or 500M places), shard it.")
    assert [(c.measure, c.scope) for c in conds] == [("size", "node"), ("places", None)]
    assert all(c.comparison == ">" for c in conds)


def test_requirements_are_told_from_measurements() -> None:
    must, _ = parse_trigger("If p99 end-to-end delivery latency must fall below 100 ms, route "
                            "directly. If Kafka broker count passes 50, reassess.")
    assert (must.measure, must.comparison, must.threshold, must.target) == (
        "latency", "<", 0.1, True)
    measured = one("if the p99 of the lease query stays above 50 ms after vacuum tuning.")
    assert measured.measure == "latency" and not measured.target
    sub = one("if member contracts ever promise sub-100 µs round trips, extend it.")
    assert (sub.comparison, sub.threshold, sub.target) == ("<", pytest.approx(1e-4), True)


def test_per_component_thresholds_carry_their_scope() -> None:
    assert one("if per-shard ingest exceeds 50,000 rows/sec sustained, move.").scope == "shard"
    assert one("If any single bucket needs more than about 3K PUTs/s, hash.").scope == "bucket"


def test_durations_without_a_comparison_or_requirement_are_not_conditions() -> None:
    assert parse_trigger("shoppers receive a 10-minute reservation before checkout") == []
    assert parse_trigger("when the holdout shows a drop over 4 weeks, stop") == []
    assert not is_numeric("if the batch scan job is retired, revert to LRU")
    assert is_numeric("when the number of languages exceeds four")


def test_most_numeric_triggers_of_the_real_corpus_parse() -> None:
    files = sorted(Path(REPO / "content" / "case-studies").glob("*/03-key-decisions.md"))
    if not files:
        pytest.skip("no content/case-studies in this checkout")
    records = []
    for path in files:
        for d in find_decisions(parse_markdown(path.read_text(encoding="utf-8"))):
            records.append({"reconsider": d.reconsider,
                            "triggers": parse_trigger(d.reconsider)})
            start, end = d.spans["when to reconsider"]
            line = path.read_text(encoding="utf-8").splitlines()[start - 1]
            assert line.startswith("**When to reconsider"), (path, start)
            assert end >= start
    counts = trigger_counts(records)
    assert counts["decisions"] >= 150
    assert counts["parsed_triggers"] / counts["numeric_triggers"] >= 0.8
