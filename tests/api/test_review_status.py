"""Trigger status for a user's numbers, and reading the numbers out of free text."""

from __future__ import annotations

import pytest

from api.requirements import RequirementsError, read_requirements
from api.review_status import condition_status, decision_status


def cond(measure: str, comparison: str, threshold: float, unit: str = "", **extra) -> dict:
    return {"measure": measure, "comparison": comparison, "threshold": threshold, "unit": unit,
            "text": "t", "scope": extra.get("scope"), "target": extra.get("target", False)}


@pytest.mark.parametrize(("text", "status"), [
    ("a social feed for 500M users", "crossed"),
    ("a social feed for 380M users", "near"),
    ("a social feed for 200M users", "not_crossed"),
    ("a social feed with 40K posts per second", "unknown"),
])
def test_more_than_thresholds(text: str, status: str) -> None:
    result = condition_status(cond("users", ">", 450e6), read_requirements(text))
    assert result.status == status


@pytest.mark.parametrize(("text", "status"), [
    ("p99 delivery under 50 ms", "crossed"),
    ("p99 delivery under 120 ms", "near"),
    ("p99 delivery under 2 seconds", "not_crossed"),
])
def test_latency_requirements_compare_with_latency_targets(text: str, status: str) -> None:
    result = condition_status(cond("latency", "<", 0.1, "s", target=True), read_requirements(text))
    assert result.status == status
    assert result.user_value is not None


def test_measured_durations_shares_and_per_component_figures_stay_unknown() -> None:
    req = read_requirements("p99 under 20 ms, 900K writes per second, 99.9% of reads cached")
    measured = condition_status(cond("latency", ">", 0.05, "s"), req)
    assert measured.status == "unknown" and "measured" in measured.reason
    share = condition_status(cond("percent", ">", 5, "%"), req)
    assert share.status == "unknown"
    per_shard = condition_status(cond("rate:writes", ">", 50_000, "/s", scope="shard"), req)
    assert per_shard.status == "unknown" and "per shard" in per_shard.reason


def test_a_decision_takes_its_most_pressing_condition() -> None:
    record = {"triggers": [cond("percent", ">", 5, "%"), cond("users", "<", 5e6),
                           cond("rate:messages", "<", 50_000, "/s")]}
    status, results = decision_status(record, read_requirements(
        "2 million mailboxes and 120,000 msgs/s at peak"))
    assert status == "crossed"
    assert [r.status for r in results] == ["crossed", "not_crossed", "unknown"]
    assert decision_status({"triggers": []}, read_requirements("10 users"))[0] == "unknown"


def test_requirements_derive_reads_and_device_rates() -> None:
    req = read_requirements("400,000 devices each send a reading every 10 seconds; "
                            "reads outnumber writes 5 to 1")
    (writes,) = req.values("rate:writes")
    assert writes.value == pytest.approx(40_000)
    (reads,) = req.values("rate:reads")
    assert reads.value == pytest.approx(200_000)
    assert read_requirements("read:write ratio 1:4, 1,000 reads/s").read_write_ratio == 0.25
    assert read_requirements("writes to reads 1:20").read_write_ratio == 20


def test_consistency_durability_and_availability_are_read() -> None:
    req = read_requirements("Strong consistency for balances; payments must never be lost; "
                            "99.99% availability.")
    assert (req.consistency, req.durable, req.availability) == ("strong", True, 99.99)


@pytest.mark.parametrize("text", ["", "   ", "x" * 5001])
def test_unusable_text_is_refused_with_what_to_fix(text: str) -> None:
    with pytest.raises(RequirementsError, match="requirements"):
        read_requirements(text)


def test_per_component_figures_meet_only_per_component_thresholds() -> None:
    per_sku = cond("rate:writes", ">", 5000, "/s", scope="sku")
    assert condition_status(per_sku, read_requirements(
        "a single SKU sees 8,000 reservation attempts per second")).status == "crossed"
    assert condition_status(per_sku, read_requirements(
        "8,000 reservation attempts per second across the catalogue")).status == "unknown"
    per_zone = cond("rate:writes", ">", 50_000, "/s", scope="zone")
    assert condition_status(per_zone, read_requirements(
        "busy zones handle up to 30K pings/s each")).status == "not_crossed"
    total = cond("zones", ">=", 5)
    one_region = read_requirements("object storage across 5 zones in one region")
    assert one_region.quantities[0].scope == "region"
    assert condition_status(total, one_region).status == "crossed"  # one region: also a total
