"""Numbers with units in prose: what they measure, normalised to one unit per measure.

The one vocabulary of quantities that both sides share: ingest reads the thresholds of
decision triggers with it, and the design review reads a user's requirements with it, so a
"50K writes/s" in one and a "50,000 inserts per second" in the other compare as equal.

Normal units: rates per second, sizes in bytes, bandwidth in bits per second, durations in
seconds, counts as plain numbers, shares in percent.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a dozen": 12,
}
MAGNITUDES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9,
              "bn": 1e9, "billion": 1e9, "trillion": 1e12}
BYTES = {"b": 1, "byte": 1, "bytes": 1, "kb": 1e3, "kib": 1024, "mb": 1e6, "mib": 1024**2,
         "gb": 1e9, "gib": 1024**3, "tb": 1e12, "tib": 1024**4, "pb": 1e15, "pib": 1024**5,
         "eb": 1e18}
BITS = {"bps": 1, "kbps": 1e3, "mbps": 1e6, "gbps": 1e9, "tbps": 1e12}
SECONDS = {"µs": 1e-6, "us": 1e-6, "microsecond": 1e-6, "ms": 1e-3, "millisecond": 1e-3,
           "s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hr": 3600,
           "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400,
           "year": 365 * 86400, "yr": 365 * 86400}
PER = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hr": 3600,
       "hour": 3600, "day": 86400, "month": 30 * 86400}

# Nouns that name what a count or a rate is of, each mapped to one measure.
COUNT_NOUNS = [
    ("users", r"users?|DAUs?|MAUs?|accounts?|customers?|mailbox(?:es)?|population|"
              r"subscribers?|participants?|viewers?|players?"),
    ("devices", r"devices?|sensors?|vehicles?|cars|machines in the field|things"),
    ("items", r"items?|products?|titles?|SKUs?|catalog(?:ue)?|listings?|videos?"),
    ("places", r"places?|points? of interest|POIs?|businesses"),
    ("entities", r"entities|entity|drivers?|couriers?|trackers?"),
    ("urls", r"URLs?|fingerprints?|known[- ]URL"),
    ("schedules", r"schedules?|cron"),
    ("zones", r"zones?|AZs?"),
    ("pops", r"PoPs?"),
    ("servers", r"servers?|app servers?|hosts?|instances?|fleet"),
    ("languages", r"languages?"),
    ("group_members", r"members?|group sizes?|groups?"),
    ("shards", r"shards?"),
    ("brokers", r"brokers?"),
    ("series", r"series"),
    ("entries", r"entries|tokens?"),
    ("team", r"engineers?|people|staff"),
]
RATE_NOUNS = [
    ("writes", r"writes?|inserts?|appends?|rows?|PUTs?|updates?|pings?|posts?|uploads?|"
               r"ingest|reservations?|location updates?"),
    ("reads", r"reads?|quer(?:y|ies)|QPS|lookups?|searches|search(?:es)?|feed loads?"),
    ("requests", r"requests?|RPS|calls?|ops|operations?|transactions?|TPS"),
    ("messages", r"messages?|msgs?|events?|records?|e-?mails?|deliveries|notifications?"),
    ("tasks", r"tasks?|jobs?|dispatch(?:es)?"),
    ("pages", r"pages?|fetch(?:es)?"),
]
_RATE_UNITS = {"qps": "reads", "rps": "requests", "tps": "requests"}

_NUM = (r"(?P<num>(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d,]\d)|(?:"
        + "|".join(sorted(WORD_NUMBERS, key=len, reverse=True)) + r")(?![A-Za-z]))")
_MAG = r"(?:\s?(?P<mag>thousand|million|billion|trillion|bn|[kKmMB](?![A-Za-z])|MM))?"
_UNIT = (r"(?:[\s-]?(?P<unit>[KMGTPE]i?B(?![a-z])|bytes?|[KMGT]?bps|[kKmMgGtT]bit/s|µs|us(?![a-z])|"
         r"microseconds?|ms(?![a-z])|milliseconds?|secs?(?![a-z])|seconds?|s(?![a-z])|"
         r"minutes?|mins?(?![a-z])|hours?|hrs?(?![a-z])|h(?![a-z])|days?|weeks?|months?|"
         r"years?|%|percent|x|:1(?!\d))(?![A-Za-z]))?")
_QUANTITY = re.compile(r"(?<![\w.$,-])(?P<sub>sub-)?(?P<cur>\$)?" + _NUM + _MAG + _UNIT,
                       re.IGNORECASE)
_PER = re.compile(r"^\s*(?:[A-Za-z-]+\s+){0,3}?[A-Za-z-]*?\s*(?:/\s?|per\s+|an?\s+|each\s+)"
                  r"(?P<per>s|secs?|seconds?|min|minutes?|h|hrs?|hours?|days?|months?)\b",
                  re.IGNORECASE)
_RATE_WORD = re.compile(r"^\s*(?P<noun>QPS|RPS|TPS)\b", re.IGNORECASE)
_COUNT_RE = [(m, re.compile(rf"\b(?:{p})\b(?!-)", re.IGNORECASE)) for m, p in COUNT_NOUNS]
_RATE_RE = [(m, re.compile(rf"\b(?:{p})\b", re.IGNORECASE)) for m, p in RATE_NOUNS]
_LATENCY = re.compile(r"latency|p9\d|p50|round[- ]trips?|response|budget|mouth-to-ear|"
                      r"deliver|commit|ack", re.IGNORECASE)
_FRESHNESS = re.compile(r"fresh|stale|refresh|visible|lag\b", re.IGNORECASE)
_WINDOW = re.compile(r"DVR|window|retention|retain|kept|keep|history|rewind", re.IGNORECASE)
_OBJECT = re.compile(r"average|mean|each|per (?:message|post|item|object|reading|event|row)|"
                     r"message size|(?:message|post|object|reading|row|event) (?:is|of)|"
                     r"-byte", re.IGNORECASE)
_HEAD_END = re.compile(r"\b(?:per|of|in|on|for|with|at|to|from|by|and|or|after|before|than|"
                       r"when|if|that|which)\b", re.IGNORECASE)
_OR_MORE_AFTER = re.compile(r"^\s*or more\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"^\s*(?:[,;.)]|$)")


@dataclass(frozen=True)
class Quantity:
    """A number found in text: its measure (``users``, ``rate:writes``, ``latency``, ...),
    value in the measure's normal unit, the unit, and the matched characters."""

    measure: str
    value: float
    unit: str
    text: str
    start: int
    end: int
    scope: str | None = None  # the component it is counted per ("zone"), None for a total

    def to_dict(self) -> dict:
        return asdict(self)


def _number(raw: str) -> float:
    raw = raw.lower()
    return float(WORD_NUMBERS[raw]) if raw in WORD_NUMBERS else float(raw.replace(",", ""))


def _singular(unit: str) -> str:
    unit = unit.lower()
    return unit[:-1] if len(unit) > 3 and unit.endswith("s") and unit not in BITS else unit


def _noun_measure(text: str, table: list[tuple[str, re.Pattern[str]]],
                  nearest: str) -> str | None:
    """The measure of the noun in ``text`` closest to its start (``nearest="start"``) or end."""
    found = [(m.start(), name) for name, rx in table for m in rx.finditer(text)]
    if not found:
        return None
    return (min(found) if nearest == "start" else max(found))[1]


def _duration_measure(before: str, after: str) -> str:
    context = re.split(r"[,;.]", before)[-1][-40:] + " " + re.split(r"[,;.]", after)[0][:15]
    if _WINDOW.search(context):
        return "window"
    if _FRESHNESS.search(context):
        return "freshness"
    if _LATENCY.search(context):
        return "latency"
    return "duration"


def find_quantities(text: str) -> list[Quantity]:
    """Every number in ``text`` whose measure can be told from its unit or nearby words."""
    found: list[Quantity] = []
    prev_end = 0
    for m in _QUANTITY.finditer(text):
        if m.start() < prev_end:
            continue
        q = _classify(text, m, prev_end)
        prev_end = q.end if q else m.end()
        if q is not None:
            found.append(q)
    return found


def _classify(text: str, m: re.Match[str], prev_end: int = 0) -> Quantity | None:
    value = _number(m.group("num"))
    if m.group("mag"):
        value *= MAGNITUDES[m.group("mag").lower()]
    unit = (m.group("unit") or "").strip()
    after = text[m.end():m.end() + 40]
    before = text[max(prev_end, m.start() - 60):m.start()]
    raw = m.group(0)
    if m.group("cur"):
        return Quantity("price", value, "$", raw, m.start(), m.end())
    u = _singular(unit)
    if u in ("%", "percent"):
        return Quantity("percent", value, "%", raw, m.start(), m.end())
    if u in (":1", "x"):
        return Quantity("ratio", value, ":1", raw, m.start(), m.end()) if u == ":1" else None
    if u in BITS or (u.endswith("bit/s") and u[0] in "kmgt"):
        scale = BITS.get(u) or BITS[u[0] + "bps"]
        return Quantity("bandwidth", value * scale, "bit/s", raw, m.start(), m.end())
    if u in BYTES:
        per = _PER.match(after)
        size = value * BYTES[u]
        if per:
            return Quantity("size_rate", size / PER[_singular(per.group("per"))], "B/s",
                            raw + after[:per.end()], m.start(), m.end() + per.end())
        measure = "object_size" if _OBJECT.search(before[-45:] + raw + after[:20]) else "size"
        return Quantity(measure, size, "B", raw, m.start(), m.end())
    if u in SECONDS:
        return Quantity(_duration_measure(before, after), value * SECONDS[u], "s", raw,
                        m.start(), m.end())
    return _count_or_rate(text, m, value, before, after)


def _count_or_rate(text: str, m: re.Match[str], value: float, before: str,
                   after: str) -> Quantity | None:
    word = _RATE_WORD.match(after)
    if word:
        measure = "rate:" + _RATE_UNITS[word.group("noun").lower()]
        return Quantity(measure, value, "/s", m.group(0) + after[:word.end()], m.start(),
                        m.end() + word.end())
    per = _PER.match(after)
    if per:
        head = after[:per.start("per")]
        noun = _noun_measure(head, _RATE_RE, "start") or _noun_measure(before[-40:], _RATE_RE,
                                                                         "end")
        if noun is None:
            return None
        rate = value / PER[_singular(per.group("per"))]
        return Quantity("rate:" + noun, rate, "/s", m.group(0) + after[:per.end()], m.start(),
                        m.end() + per.end())
    or_more = _OR_MORE_AFTER.match(after)
    skip = or_more.end() if or_more else 0
    head = _HEAD_END.split(re.split(r"[,;.()]", after[skip:], maxsplit=1)[0], maxsplit=1)[0]
    head = head[:len(head) - len(head.lstrip())] + " ".join(head.split()[:4])
    found = [(hit.start(), hit.end(), name) for name, rx in _COUNT_RE
             for hit in rx.finditer(head)]
    if found:
        _, end, noun = min(found)
        end += skip
        return Quantity(noun, value, "", m.group(0) + after[:end], m.start(), m.end() + end)
    if m.group("num").lower() in WORD_NUMBERS and not _CLAUSE_END.match(after):
        return None
    tail = re.split(r"[,;.()]", before)[-1]
    noun = _noun_measure(" ".join(tail.split()[-6:]), _COUNT_RE, "end")
    if noun is None:
        return None
    return Quantity(noun, value, "", m.group(0), m.start(), m.end())


SCOPE_NOUNS = {"shard", "partition", "node", "zone", "region", "bucket", "tenant", "sku",
               "namespace", "pop", "cell", "symbol", "topic", "replica", "upstream", "cluster",
               "primary", "host", "project", "hotel", "channel", "city", "document", "group",
               "recipient", "room", "policy", "market", "segment", "merchant", "acquirer",
               "dag", "queue"}
_SCOPE_BEFORE = re.compile(
    r"\b(?:per[- ](?P<per>(?!second|sec\b|minute|hour|day|month|year)[a-z]+)|"
    r"(?:a single|any single|any one|any|one|each|single|an?) (?P<one>[a-z][\w-]*)"
    r"(?:'s| (?:passes|exceeds?|grows|needs|holds|reaches|carries|sees|with fewer|"
    r"with more)\b)|"
    r"(?:a single|any single|any one|each|single) (?P<lone>[a-z][\w-]*)|"
    r"(?P<own>[a-z]+)'s)", re.IGNORECASE)
_SCOPE_AFTER = re.compile(
    r"^[^,;.()]{0,25}?\b(?:per[- ]|(?:in|on|for|into) (?:one|a single|each|any|our one|"
    r"a|an) (?:[\w-]+ )?)(?P<noun>[a-z]+)|^\s*(?P<each>each)\b", re.IGNORECASE)


def scope_of(before: str, after: str) -> str | None:
    """The component a figure is counted per, from the words of its clause before it and the
    few words after it: "per-shard ingest exceeds 50K rows/s", "a single SKU sees 8,000",
    "1B series in one region", "30K pings/s each" (after "busy zones"); None for totals."""
    candidates = [next(g for g in m.groups() if g) for m in _SCOPE_BEFORE.finditer(before)]
    m = _SCOPE_AFTER.match(after)
    if m and m.group("noun"):
        candidates.append(m.group("noun"))
    elif m:
        nouns = re.findall(r"[a-z]+", before.lower())
        candidates += [n for n in reversed(nouns) if n.removesuffix("s") in SCOPE_NOUNS][:1]
    for noun in candidates:
        noun = re.sub(r"[^a-z]", "", noun.lower().split("-")[0])
        noun = noun[:-1] if noun.endswith("s") and noun[:-1] in SCOPE_NOUNS else noun
        if noun in SCOPE_NOUNS:
            return noun
    return None


def human(value: float, unit: str) -> str:
    """A normalised value written the way the studies write it (``50K/s``, ``3.6 TB``)."""
    if unit == "B":
        return _scaled(value, [(1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"),
                               (1e3, "KB"), (1, "bytes")])
    if unit == "B/s":
        return _scaled(value, [(1e12, "TB/s"), (1e9, "GB/s"), (1e6, "MB/s"), (1e3, "KB/s"),
                               (1, "bytes/s")])
    if unit == "bit/s":
        return _scaled(value, [(1e12, "Tbps"), (1e9, "Gbps"), (1e6, "Mbps"), (1e3, "Kbps"),
                               (1, "bps")])
    if unit == "s":
        return _scaled(value, [(365 * 86400, "years"), (86400, "days"), (3600, "h"),
                               (60, "min"), (1, "s"),
                               (1e-3, "ms"), (1e-6, "µs")])
    if unit == "%":
        return f"{value:g}%"
    if unit == "$":
        return f"${value:g}"
    if unit == ":1":
        return f"{value:g}:1"
    text = _scaled(value, [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"), (1, "")])
    return text + ("/s" if unit == "/s" else "")


def _scaled(value: float, steps: list[tuple[float, str]]) -> str:
    for size, name in steps:
        if abs(value) >= size:
            number = value / size
            shown = f"{number:.0f}" if number >= 100 else f"{number:.3g}"
            return f"{shown}{'' if len(name) <= 1 and name not in ('s',) else ' '}{name}".strip()
    size, name = steps[-1]
    return f"{value / size:.3g} {name}".strip()
