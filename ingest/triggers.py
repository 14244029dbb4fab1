"""Structured "When to reconsider" triggers: conditions of (measure, comparison, threshold).

"If write QPS per partition exceeds 50K/s or p99 must fall below 100 ms" becomes two
conditions, each keeping its words, the measure and normal unit of its number
(``index.quantities``), the comparison (``>``, ``>=``, ``<``, ``<=``), whether it is scoped to
one component ("per shard", "a single zone's"), and whether it states a requirement ("must",
"budget", "sub-") rather than a measurement. The conditions of one trigger are alternatives.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from index.quantities import Quantity, find_quantities, scope_of

_GREATER = (r"exceed(?:s|ed|ing)?|more than|greater than|larger than|above|over|past|beyond|"
            r"passes|pass|tops?|surpass(?:es)?|rises? above|at least")
_LESS = r"below|under|fewer than|less than|shr[ai]nks? (?:below|to)|within|at most|drops? to"
_COMPARE = re.compile(rf"\b(?P<gt>{_GREATER})\b|\b(?P<lt>{_LESS})\b", re.IGNORECASE)
_OR_MORE = re.compile(r"\bor more\b", re.IGNORECASE)
_JOIN = re.compile(r"^[\s(~]*(?:(?:[\w-]+\s+){0,3}?(?:or|and)\b|\(|,)?[\s(~]*"
                   r"(?:about|roughly|around|~)?\s*$", re.IGNORECASE)
_TARGET = re.compile(r"\bmust\b|budget|\bsub-|promis|\bneeds?\b|requir|guarantee|target|"
                     r"\bask for\b", re.IGNORECASE)
_NUMERIC = re.compile(r"\d")


@dataclass
class Condition:
    """One measurable alternative of a trigger."""

    measure: str
    comparison: str
    threshold: float
    unit: str
    text: str  # the words of the condition, from its comparison to its number
    scope: str | None = None  # component the threshold applies to ("shard"), if any
    target: bool = False  # states a requirement rather than a measured value

    def to_dict(self) -> dict:
        return asdict(self)


def parse_trigger(text: str) -> list[Condition]:
    """The conditions of a "When to reconsider" text that name a number and a comparison."""
    conditions: list[Condition] = []
    previous: Condition | None = None
    previous_end = 0
    for q in find_quantities(text):
        clause_start = _clause_start(text, q.start)
        lookback = text[max(clause_start, previous_end):q.start]
        comparison = _comparison(lookback, q)
        scope = scope_of(text[clause_start:q.start], text[q.end:q.end + 30])
        link = _continues(text, previous_end, q) if previous and comparison is None else None
        if previous and link:
            comparison = previous.comparison
            scope = scope or (previous.scope if link == "join" else None)
        previous_end = q.end
        if comparison is None or (q.measure == "duration" and not _TARGET.search(lookback)):
            previous = None
            continue
        clause = text[clause_start:_clause_end(text, q.end)]
        previous = Condition(
            measure=q.measure, comparison=comparison, threshold=q.value, unit=q.unit,
            text=" ".join(clause.split()), scope=scope,
            target=bool(_TARGET.search(clause)) or q.text.lower().startswith("sub-"),
        )
        conditions.append(previous)
    return conditions


def _continues(text: str, previous_end: int, q: Quantity) -> str | None:
    """How ``q`` takes the comparison of the condition before it: ``join`` ("above 60% CPU or
    2 TB"), ``paren`` (inside a parenthesis of the same sentence), or None."""
    gap = text[previous_end:q.start]
    if ";" in gap or ". " in gap:
        return None
    if _JOIN.match(gap):
        return "join"
    sentence = text[max(text.rfind(". ", 0, q.start), text.rfind(";", 0, q.start), 0):q.start]
    return "paren" if sentence.count("(") > sentence.count(")") else None


def is_numeric(text: str) -> bool:
    """Whether a trigger text states any number at all."""
    return bool(_NUMERIC.search(text)) or bool(find_quantities(text))


def _comparison(lookback: str, q: Quantity) -> str | None:
    if q.text.lower().startswith("sub-"):
        return "<"
    if _OR_MORE.search(q.text):
        return ">="
    marks = list(_COMPARE.finditer(lookback))
    if not marks:
        return None
    last = marks[-1]
    word = last.group(0).lower()
    if last.group("gt"):
        return ">=" if word == "at least" else ">"
    return "<=" if word == "at most" else "<"


def _clause_start(text: str, pos: int) -> int:
    cut = max(text.rfind(s, 0, pos) for s in (";", ". ", ", or ", " or ", ", and ", ", "))
    return 0 if cut < 0 else cut + 1


def _clause_end(text: str, pos: int) -> int:
    ends = [i for i in (text.find(s, pos) for s in (";", ". ", ", ", " or ")) if i >= 0]
    return min(ends) if ends else len(text)


def trigger_counts(decisions: list[dict]) -> dict[str, int]:
    """How many decision records have a trigger, a numeric one, and one parsed into conditions."""
    texts = [d for d in decisions if d.get("reconsider")]
    numeric = [d for d in texts if is_numeric(d["reconsider"])]
    return {"decisions": len(decisions), "numeric_triggers": len(numeric),
            "parsed_triggers": sum(1 for d in numeric if d.get("triggers"))}
