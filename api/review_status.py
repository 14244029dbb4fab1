"""Whether a user's numbers cross a decision's "When to reconsider" trigger.

A trigger's conditions are alternatives, so the decision takes its most pressing condition:
``crossed`` (a user figure meets it), ``near`` (within 25% of the threshold: at least 0.8x a
"more than", at most 1.25x a "less than"), ``not_crossed`` (the user gave that measure and it
is clear of the threshold), else ``unknown``. Conditions that the user's text cannot speak to
stay unknown: shares and prices, and measured durations; a duration counts only where the
trigger states a requirement ("must fall below 100 ms"), since the user's durations are targets
too. A threshold counted per component ("per shard") meets only a figure the user counts per
the same component ("30K pings/s per zone"), never a total.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.requirements import Requirements
from index.quantities import Quantity, human

NEAR = 0.8
STATUSES = ("crossed", "near", "not_crossed", "unknown")
_DURATIONS = {"latency", "freshness", "window", "duration"}
_NEVER = {"percent", "price", "ratio"}


@dataclass
class ConditionResult:
    """One trigger condition set against the user's figure for it."""

    text: str
    measure: str
    comparison: str
    threshold: str
    status: str
    user_value: str | None = None
    user_text: str | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def condition_status(condition: dict[str, Any], req: Requirements) -> ConditionResult:
    """The status of one parsed condition (``ingest.triggers.Condition`` as stored)."""
    measure, cmp_, threshold = condition["measure"], condition["comparison"], condition["threshold"]
    result = ConditionResult(condition["text"], measure, cmp_,
                             human(threshold, condition["unit"]), "unknown")
    if measure in _NEVER:
        result.reason = "a share or price your requirements do not state"
        return result
    if measure in _DURATIONS and not condition.get("target"):
        result.reason = "a measured duration, not a target you can state up front"
        return result
    scope = condition.get("scope")
    figures = sorted(req.values(measure, scope), key=lambda q: q.value)
    if not figures:
        what = measure.replace("rate:", "")
        result.reason = (f"counted per {scope}; your requirements give no {what} per {scope}"
                         if scope else f"your requirements give no {what} figure")
        return result
    figure = figures[-1] if cmp_.startswith(">") else figures[0]
    result.user_value, result.user_text = human(figure.value, figure.unit), figure.text
    result.status = _compare(figure, cmp_, threshold)
    return result


def _compare(figure: Quantity, cmp_: str, threshold: float) -> str:
    v = figure.value
    met = {">": v > threshold, ">=": v >= threshold, "<": v < threshold,
           "<=": v <= threshold}[cmp_]
    if met:
        return "crossed"
    if cmp_.startswith(">") and v >= NEAR * threshold:
        return "near"
    if cmp_.startswith("<") and v <= threshold / NEAR:
        return "near"
    return "not_crossed"


def decision_status(record: dict[str, Any], req: Requirements) -> tuple[str, list[ConditionResult]]:
    """The decision's status and each condition's, most pressing first."""
    results = [condition_status(c, req) for c in record.get("triggers", [])]
    results.sort(key=lambda r: STATUSES.index(r.status))
    return (results[0].status if results else "unknown"), results
