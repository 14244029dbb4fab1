"""Back-of-the-envelope estimates from the user's own numbers, written as the studies write
theirs: one line per step, the arithmetic shown, round figures, assumptions named."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from api.requirements import Requirements
from index.quantities import Quantity, human

PEAK_FACTOR = 3  # the studies' usual peak-to-average ratio
REPLICATION = 3
DAY_S = 86_400
YEAR_S = 365 * DAY_S


@dataclass
class Estimate:
    """One line of the estimate: what it is, how it was worked out, the result."""

    label: str
    working: str
    value: str

    def to_dict(self) -> dict:
        return asdict(self)


def estimate(req: Requirements) -> tuple[list[Estimate], list[str]]:
    """Estimate lines and the assumptions they rest on (empty when the numbers are too few)."""
    lines: list[Estimate] = []
    assumptions: list[str] = []
    writes = req.first("rate:writes") or req.first("rate:messages")
    reads = req.first("rate:reads") or req.first("rate:requests")
    size = req.first("object_size")
    if writes:
        lines.append(_rate_line("Writes", writes, writes in req.derived))
    if reads:
        lines.append(_rate_line("Reads", reads, reads in req.derived))
    if writes and size:
        per_day = writes.value * DAY_S * size.value
        lines.append(Estimate("New data per day",
                              f"{human(writes.value * DAY_S, '')}/day x {human(size.value, 'B')}",
                              human(per_day, "B")))
        years = _retention_years(req)
        if years is None:
            years = 1.0
            assumptions.append("one year of retention (your text gives none)")
        total = per_day * 365 * years
        lines.append(Estimate(f"Stored over {years:g} year{'s' if years != 1 else ''}",
                              f"{human(per_day, 'B')} x 365 x {years:g}", human(total, "B")))
        lines.append(Estimate(f"With replication factor {REPLICATION}",
                              f"{human(total, 'B')} x {REPLICATION}",
                              human(total * REPLICATION, "B")))
        assumptions.append(f"replication factor {REPLICATION}, no compression")
        lines.append(_bandwidth_line("Ingress", writes.value, size.value))
    if reads and size:
        lines.append(_bandwidth_line("Read egress", reads.value, size.value))
    egress = req.first("bandwidth")
    if egress:
        month = egress.value / 8 * 30 * DAY_S
        lines.append(Estimate("Egress per month at that rate",
                              f"{human(egress.value, 'bit/s')} / 8 x 30 days",
                              human(month, "B")))
    total_size = req.first("size")
    if total_size:
        lines.append(Estimate(f"Stored with replication factor {REPLICATION}",
                              f"{human(total_size.value, 'B')} x {REPLICATION}",
                              human(total_size.value * REPLICATION, "B")))
    if lines and (writes or reads):
        assumptions.insert(0, f"peak = {PEAK_FACTOR}x average where you gave a daily volume")
    return lines, assumptions


def _rate_line(label: str, rate: Quantity, derived: bool) -> Estimate:
    if "day" in rate.text:
        return Estimate(f"{label} per second",
                        f"{human(rate.value * DAY_S, '')}/day / 86,400 s = "
                        f"{human(rate.value, '/s')} average, x{PEAK_FACTOR} at peak",
                        human(rate.value * PEAK_FACTOR, "/s") + " peak")
    how = "derived" if derived else "as stated"
    return Estimate(f"{label} per second", f"{how} ({rate.text})", human(rate.value, "/s"))


def _bandwidth_line(label: str, rate: float, size: float) -> Estimate:
    bytes_s = rate * size
    return Estimate(label, f"{human(rate, '/s')} x {human(size, 'B')} = {human(bytes_s, 'B/s')}",
                    human(bytes_s * 8, "bit/s"))


def _retention_years(req: Requirements) -> float | None:
    windows = [q.value for q in req.values("window") if q.value >= DAY_S]
    return round(max(windows) / YEAR_S, 2) if windows else None
