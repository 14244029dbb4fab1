"""Which sentences of a passage may be quoted in an answer, and with what context.

Navigation lines, bold-only lines, interview-tip imperatives (unless tips are asked for) and
sentences that open with a pronoun whose antecedent is missing are kept out of answers. A
content sentence that carries a cross-reference link stays; answers show the link's text.
"""

from __future__ import annotations

import re

from index.chunks import Chunk
from index.text import Sentence, sentences

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_NAV_CUE = re.compile(r"^\W*(see|related|next|previous|back to|read more|more in|for more|"
                      r"chapters?|continue)\b", re.IGNORECASE)
MIN_PROSE_WORDS = 6
_BOLD_ONLY = re.compile(r"^\*\*[^*]+\*\*\W*$")
_DANGLING = re.compile(r"^(?:they|them|it|its|this|that|these|those|their|such|he|she|"
                       r"here|there|both|the former|the latter|which)\b", re.IGNORECASE)
_TIPS_HEADING = re.compile(r"interview tips?|tips for", re.IGNORECASE)
_ASKS_TIPS = re.compile(r"\b(tips?|interview|interviewer|advice)\b", re.IGNORECASE)
MAX_WORDS = 70


def asks_for_tips(question: str) -> bool:
    return bool(_ASKS_TIPS.search(question))


def is_tip_passage(chunk: Chunk) -> bool:
    return bool(_TIPS_HEADING.search(chunk.heading))


def without_links(text: str) -> str:
    """Markdown links reduced to their text: ``[Key-Value Cache](../kv-cache/README.md)``
    -> ``Key-Value Cache``."""
    return _LINK.sub(r"\1", text)


def is_navigation(text: str) -> bool:
    """A line that points elsewhere instead of saying something: it opens with a navigation
    cue ("See ...", "Related: ...") next to a link, or little prose is left around its links."""
    if not _LINK.search(text):
        return False
    prose = _LINK.sub(" ", text)
    return bool(_NAV_CUE.match(text)) or len(re.findall(r"[A-Za-z]{2,}", prose)) < MIN_PROSE_WORDS


def quotable(text: str) -> bool:
    """Not a navigation line and not a bold-only heading line."""
    return not is_navigation(text) and not _BOLD_ONLY.match(text.strip())


def _same_paragraph(passage: str, a: Sentence, b: Sentence) -> bool:
    return "\n\n" not in passage[a.end:b.start]


def clean_sentences(chunk: Chunk, tips: bool = False) -> list[Sentence]:
    """The chunk's quotable sentences; a pronoun opener is joined to the sentence before it
    (one verbatim span) or dropped when that sentence is not in the same paragraph."""
    if is_tip_passage(chunk) and not tips:
        return []
    found = sentences(chunk.text)
    out: list[Sentence] = []
    for i, s in enumerate(found):
        if not quotable(s.raw):
            continue
        if _DANGLING.match(s.text):
            prev = found[i - 1] if i else None
            if prev is None or not quotable(prev.raw) or not _same_paragraph(chunk.text, prev, s):
                continue
            joined = chunk.text[prev.start:s.end]
            if len(joined.split()) > MAX_WORDS:
                continue
            if out and out[-1] == prev:
                out.pop()
            s = Sentence(joined, prev.start, s.end)
        out.append(s)
    return out
