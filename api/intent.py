"""What kind of answer a question wants: one of ``INTENTS``, decided by rules, no model call.

- ``where_used``: which studies use a concept ("where is consistent hashing used?");
- ``comparison``: two or more named studies side by side;
- ``choice``: A vs B, which to pick and when ("should I use OT or CRDT?");
- ``failure``: failure scenarios and recovery ("what happens when the owner crashes?");
- ``estimate``: numbers, capacity and cost ("how much storage per day?");
- ``mechanism``: how something works (everything else).
"""

from __future__ import annotations

import re

WHERE_USED = "where_used"
COMPARISON = "comparison"
CHOICE = "choice"
FAILURE = "failure"
ESTIMATE = "estimate"
MECHANISM = "mechanism"
INTENTS = (WHERE_USED, COMPARISON, CHOICE, FAILURE, ESTIMATE, MECHANISM)

_WHERE_USED = re.compile(
    r"\b(where|which|what)\b.{0,40}\b(used|use|uses|using|rely|relies|appear|appears|apply|"
    r"applies|employ|employs|need|needs|studies|designs|systems)\b"
    r"|\b(across|several|different|many|multiple|other|all)\b.{0,40}"
    r"\b(designs|systems|studies|architectures)\b",
    re.IGNORECASE,
)
_CHOICE = re.compile(
    r"\b(vs\.?|versus|instead of|rather than|choose|chose|chosen|choice|pick|picked|"
    r"prefer|preferred|trade-?offs?|difference between|when should|should (i|we|you|it)|"
    r"why (use|not|does|did|do|is|was|pick|choose|prefer)|which is better|better than|"
    r"alternatives?|reconsider)\b|\bwhy\b.{0,50}\bover\b|\b(use|pick|choose|prefer)\b.{0,40}\bor\b",
    re.IGNORECASE,
)
_FAILURE = re.compile(
    r"\b(fail|fails|failed|failing|failure|failures|failover|fail over|crash|crashes|crashed|"
    r"outage|outages|goes down|go down|dies|died|lost|loses|unavailable|"
    r"recover|recovers|recovery|disaster|partitioned|split-?brain|what happens (when|if))\b",
    re.IGNORECASE,
)
_ESTIMATE = re.compile(
    r"\b(how (much|many|big|large|fast)|estimate|estimates|estimated|capacity|qps|rps|"
    r"throughput|bandwidth|storage|per (day|second|month|year|hour|minute)|/s|sizing|"
    r"back[- ]of[- ]the[- ]envelope|numbers|cost|costs|peak|memory|disk)\b",
    re.IGNORECASE,
)
_DESIGN_HOW = re.compile(r"\bhow (would|should|do) (you|i|we) (design|build|handle)\b",
                         re.IGNORECASE)


def classify(question: str, named_studies: int, names_concept: bool) -> str:
    """The intent of ``question``, given how many studies it names and whether it names a
    known concept."""
    if names_concept and named_studies == 0 and _WHERE_USED.search(question):
        return WHERE_USED
    if named_studies >= 2:
        return COMPARISON
    if _CHOICE.search(question) or _DESIGN_HOW.search(question):
        return CHOICE
    if _FAILURE.search(question):
        return FAILURE
    if _ESTIMATE.search(question):
        return ESTIMATE
    return MECHANISM
