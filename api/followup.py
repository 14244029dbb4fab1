"""Multi-turn: turn a follow-up ("and how does it handle failover?") into a standalone query."""

from __future__ import annotations

import re
from dataclasses import dataclass

_REFERS_BACK = re.compile(
    r"^\s*(and|also|but|then|so|what about|how about|and what)\b"
    r"|\b(it|its|it's|they|them|their|this|that|these|those|there|the system|this design|"
    r"the same|such)\b",
    re.IGNORECASE,
)


@dataclass
class Turn:
    """One message of the conversation so far."""

    role: str
    content: str


def last_user_question(history: list[Turn]) -> str | None:
    for turn in reversed(history):
        if turn.role == "user" and turn.content.strip():
            return turn.content.strip()
    return None


def is_follow_up(question: str, names_study: bool, names_concept: bool) -> bool:
    """A question that leans on the previous turn: it refers back ("it", "and ...") without
    naming a study of its own, or it is a few words that name nothing at all."""
    if names_study:
        return False
    if _REFERS_BACK.search(question):
        return True
    return not names_concept and len(question.split()) <= 4
