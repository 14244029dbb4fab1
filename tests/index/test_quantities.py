"""Numbers with units in prose, normalised: the vocabulary triggers and requirements share."""

from __future__ import annotations

import pytest

from index.quantities import find_quantities, human


def only(text: str):
    (q,) = find_quantities(text)
    return q


@pytest.mark.parametrize(("text", "measure", "value"), [
    ("peak of 50K writes/s", "rate:writes", 50_000),
    ("50,000 inserts per second", "rate:writes", 50_000),
    ("2 billion events per day", "rate:messages", 2e9 / 86_400),
    ("150K queries/sec", "rate:reads", 150_000),
    ("90,000 QPS", "rate:reads", 90_000),
    ("800K ops/s", "rate:requests", 800_000),
    ("500M daily active users", "users", 500e6),
    ("1.5 billion mailboxes", "users", 1.5e9),
    ("12M connected devices", "devices", 12e6),
    ("300 billion known URLs", "urls", 300e9),
    ("the number of languages using the cache exceeds four", "languages", 4),
    ("a region with five or more zones", "zones", 5),
    ("a peak egress of 600 Gbps", "bandwidth", 600e9),
    ("40 PB stored", "size", 40e15),
    ("average message size 4 KB", "object_size", 4_000),
    ("a 200-byte reading", "object_size", 200),
    ("p99 delivery under 50 ms", "latency", 0.05),
    ("round trips under 50 µs", "latency", 50e-6),
    ("data freshness under 5 seconds", "freshness", 5),
    ("a 12-hour DVR window", "window", 12 * 3600),
    ("more than 5% of sessions", "percent", 5),
])
def test_measures_and_normal_units(text: str, measure: str, value: float) -> None:
    q = only(text)
    assert q.measure == measure
    assert q.value == pytest.approx(value)


def test_numbers_inside_words_and_names_are_not_quantities() -> None:
    assert find_quantities("p99 of the top-30 items on a tier-1 shard of tenants") == []
    assert [q.measure for q in find_quantities("400M monthly active users")] == ["users"]


def test_sub_prefix_and_hyphenated_units() -> None:
    q = only("customers ask for sub-10-second chart refresh")
    assert (q.measure, q.value) == ("freshness", 10)
    assert q.text.startswith("sub-")


def test_a_number_without_a_known_noun_or_unit_is_skipped() -> None:
    assert find_quantities("it needs 3 retries and 12 documents") == []


def test_human_writes_figures_the_way_the_studies_do() -> None:
    assert human(3.6e12, "B") == "3.6 TB"
    assert human(23_148, "/s") == "23.1K/s"
    assert human(4.6e9, "bit/s") == "4.6 Gbps"
    assert human(0.05, "s") == "50 ms"
    assert human(500e6, "") == "500M"
