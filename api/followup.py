"""Multi-turn: turn a follow-up ("and how does it handle failover?") into a standalone
question that carries the conversation's subject but not the previous question's predicate."""

from __future__ import annotations

import re
from dataclasses import dataclass

_REFERS_BACK = re.compile(
    r"^\s*(and|also|but|then|so|what about|how about|and what)\b"
    r"|\b(it|its|it's|they|them|their|this|that|these|those|there|the system|this design|"
    r"the same|such)\b",
    re.IGNORECASE,
)
_OPENER = re.compile(r"^\s*(?:and|also|but|then|so|ok|okay)\b[\s,]*", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?:the system|this system|this design|the design|it|they|this|that)\b"
                      r"(?!\s+(?:is|are|was|were)\s+(?:why|how|what|when))",
                      re.IGNORECASE)
_POSSESSIVE = re.compile(r"\b(?:its|their)\b", re.IGNORECASE)


@dataclass
class Turn:
    """One message of the conversation so far."""

    role: str
    content: str


def user_questions(history: list[Turn]) -> list[str]:
    """The user's earlier questions, most recent first."""
    return [t.content.strip() for t in reversed(history) if t.role == "user" and t.content.strip()]


def last_user_question(history: list[Turn]) -> str | None:
    found = user_questions(history)
    return found[0] if found else None


def is_follow_up(question: str, names_study: bool, names_concept: bool) -> bool:
    """A question that leans on the previous turn: it refers back ("it", "and ...") without
    naming a study of its own, or it is a few words that name nothing at all."""
    if names_study:
        return False
    if _REFERS_BACK.search(question):
        return True
    return not names_concept and len(question.split()) <= 4


def has_pronoun(question: str) -> bool:
    """Whether the question points back with a pronoun ("it", "they", "its", ...)."""
    text = _OPENER.sub("", question)
    return bool(_PRONOUN.search(text) or _POSSESSIVE.search(text))


def standalone(question: str, subject: str) -> str:
    """``question`` with its first back-reference replaced by ``subject`` (or ``subject``
    appended): "and how does it handle X?" -> "how does the Message Broker handle X?"."""
    text = _OPENER.sub("", question).strip()
    text = text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text
    replaced, n = _PRONOUN.subn(subject, text, count=1)
    if not n:
        replaced, n = _POSSESSIVE.subn(f"{subject}'s", text, count=1)
    if not n:
        body = replaced.rstrip(" ?.!")
        replaced = f"{body} in {subject}" + ("?" if text.rstrip().endswith("?") else "")
    return replaced[:1].upper() + replaced[1:]
