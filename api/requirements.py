"""A user's free-text requirements read into numbers: scale, rates, sizes, targets.

Every number comes from ``index.quantities``, the vocabulary the decision triggers were parsed
with, so the two compare directly. Durations the user gives without saying what they bound
count as latency targets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from index.quantities import Quantity, find_quantities, human, scope_of

MAX_REQUIREMENTS = 5000
_RATIO = re.compile(
    r"(?P<a>\d+(?:\.\d+)?)\s*(?::|to)\s*(?P<b>\d+(?:\.\d+)?)|"
    r"(?P<pct>\d+(?:\.\d+)?)\s*%\s*(?:of\s+\w+\s+are\s+)?reads?", re.IGNORECASE)
_READ_WRITE = re.compile(r"read|write", re.IGNORECASE)
_SINGLE = re.compile(r"\b(?:in|across|within|on) (?:our |a |an )?(?:one|single|only one) "
                     r"([a-z]+)", re.IGNORECASE)
_EVERY = re.compile(r"every\s*$", re.IGNORECASE)
_STRONG = re.compile(r"strong(?:ly)? consisten|linearizab|serializab|read[- ]your[- ]own|"
                     r"exactly[- ]once|no double|never (?:double|oversell)", re.IGNORECASE)
_EVENTUAL = re.compile(r"eventual(?:ly)? consisten|stale reads? (?:are|is) (?:fine|ok)",
                       re.IGNORECASE)
_DURABLE = re.compile(r"never (?:be )?lost|no data loss|durab|zero (?:data )?loss|"
                      r"must not lose|nines", re.IGNORECASE)
_AVAILABILITY = re.compile(r"(?P<n>9\d(?:\.\d+)?)\s*%\s*(?:availab|uptime)|"
                           r"availab\w*\s*(?:of|:|target)?\s*(?P<m>9\d(?:\.\d+)?)\s*%",
                           re.IGNORECASE)


class RequirementsError(ValueError):
    """Requirements text the review cannot use."""


@dataclass
class Requirements:
    """What the review knows about the user's system."""

    text: str
    quantities: list[Quantity]
    read_write_ratio: float | None = None  # reads per write
    interval_s: float | None = None  # "each device reports every 10 seconds"
    consistency: str | None = None  # "strong" or "eventual"
    durable: bool = False
    availability: float | None = None  # percent
    derived: list[Quantity] = field(default_factory=list)
    single: set[str] = field(default_factory=set)  # components there is one of ("region")

    def values(self, measure: str, scope: str | None = None) -> list[Quantity]:
        """The user's figures for a measure, stated or derived: totals, or those counted per
        ``scope`` ("zone"). A figure per a component the user has only one of ("in our one
        region") is a total as well."""
        return [q for q in (*self.quantities, *self.derived)
                if q.measure == measure and (q.scope == scope or (
                    scope is None and q.scope in self.single))]

    def first(self, measure: str) -> Quantity | None:
        found = self.values(measure)
        return found[0] if found else None

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "quantities": [_shown(q, derived=False) for q in self.quantities]
            + [_shown(q, derived=True) for q in self.derived],
            "read_write_ratio": self.read_write_ratio,
            "consistency": self.consistency,
            "durable": self.durable,
            "availability": self.availability,
        }


def _shown(q: Quantity, derived: bool) -> dict:
    return {"measure": q.measure, "value": q.value, "unit": q.unit, "scope": q.scope,
            "shown": human(q.value, q.unit), "text": q.text, "derived": derived}


def check_text(text: str) -> str:
    """The stripped text; empty or over-long text is an error saying what to fix."""
    text = (text or "").strip()
    if not text:
        raise RequirementsError("requirements must not be empty: describe your system's users, "
                                "traffic, data size and latency targets")
    if len(text) > MAX_REQUIREMENTS:
        raise RequirementsError(f"requirements are {len(text)} characters; shorten them to at "
                                f"most {MAX_REQUIREMENTS}")
    return text


def read_requirements(text: str) -> Requirements:
    """Parse requirements (see ``check_text`` for what is refused)."""
    text = check_text(text)
    quantities = []
    interval = None
    for q in find_quantities(text):
        if q.measure == "duration" and _EVERY.search(text[max(0, q.start - 8):q.start]):
            interval = q.value
            continue
        if q.measure == "duration":
            q = replace(q, measure="latency")
        clause = re.split(r"[,;.:]\s", text[:q.start])[-1]
        quantities.append(replace(q, scope=scope_of(clause, text[q.end:q.end + 30])))
    req = Requirements(text, quantities, _ratio(text), interval,
                       "strong" if _STRONG.search(text) else
                       "eventual" if _EVENTUAL.search(text) else None,
                       bool(_DURABLE.search(text)), _availability(text))
    req.derived = _derive(req)
    req.single = {m.group(1).lower().removesuffix("s") for m in _SINGLE.finditer(text)}
    return req


def _ratio(text: str) -> float | None:
    """Reads per write from "read:write 100:1", "reads outnumber writes 100 to 1", "90% reads"."""
    for m in _RATIO.finditer(text):
        around = text[max(0, m.start() - 40):m.end() + 15]
        if not _READ_WRITE.search(around):
            continue
        if m.group("pct"):
            share = float(m.group("pct")) / 100
            return round(share / (1 - share), 2) if share < 1 else None
        a, b = float(m.group("a")), float(m.group("b"))
        if a == 0 or b == 0:
            continue
        before = text[max(0, m.start() - 40):m.start()].lower()
        writes_first = before.find("write") != -1 and (
            before.find("read") == -1 or before.find("write") < before.find("read"))
        return round(b / a if writes_first else a / b, 2)
    return None


def _availability(text: str) -> float | None:
    m = _AVAILABILITY.search(text)
    return float(m.group("n") or m.group("m")) if m else None


def _derive(req: Requirements) -> list[Quantity]:
    """Rates the user implies: devices reporting every N seconds; reads from writes and the
    read/write ratio (and the reverse)."""
    derived = []
    devices = req.first("devices")
    if devices and req.interval_s and not req.values("rate:writes"):
        derived.append(Quantity("rate:writes", devices.value / req.interval_s, "/s",
                                f"{devices.text} every {human(req.interval_s, 's')}", 0, 0))
    writes = next(iter(req.values("rate:writes") + derived), None)
    reads = req.first("rate:reads")
    if req.read_write_ratio:
        if writes and not reads:
            derived.append(Quantity("rate:reads", writes.value * req.read_write_ratio, "/s",
                                    f"{writes.text} x {req.read_write_ratio:g} reads per write",
                                    0, 0))
        elif reads and not writes:
            derived.append(Quantity("rate:writes", reads.value / req.read_write_ratio, "/s",
                                    f"{reads.text} / {req.read_write_ratio:g}", 0, 0))
    return derived
