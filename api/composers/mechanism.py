"""How something works: the passages' best sentences, led by a matching decision.

The fallback layout for every intent: when a more specific composer finds nothing to lay
out, the question is answered this way.
"""

from __future__ import annotations

import re

from api import extractive
from api.compose import AnswerBuilder, Context
from api.hygiene import clean_sentences
from api.sources import (
    DECISIONS_CHAPTER,
    Piece,
    best_decision,
    decision_record,
    heading_before,
    question_terms,
)
from api.study_names import study_title
from index.chunks import Chunk
from index.lexical import tokenize
from index.store import Hit
from index.text import Sentence

LEAD_MIN_SCORE = 0.6
MIN_STEPS = 3
MAX_STEPS = 6
SHORT_STEP = 12
STEP_SOURCES = 3
LEAD_SOURCES = 3
HEADING_SOURCES = 5
_ITEM_LABEL = re.compile(r"^[ \t]*\d+[.)][ \t]+(\*\*[^*\n]{1,60}\*\*)")
HEADING_SHARE = 0.4
STEP_CHAPTERS = ("architecture", "wrap-up")
_ITEM = re.compile(r"^[ \t]*\d+[.)][ \t]+", re.MULTILINE)
# How-it-works answers live in the architecture, the decisions and the deep dives.
CHAPTER_WEIGHT = {"architecture": 0.08, "key-decisions": 0.05, "wrap-up": 0.05,
                  "requirements": -0.05, "overview": -0.1}


def title_terms(ctx: Context) -> frozenset[str]:
    """Stemmed words of the focused studies' titles."""
    titles = " ".join(study_title(ctx.index.graph, s) for s in ctx.studies)
    return frozenset(tokenize([titles])[0])


def focus(ctx: Context) -> list[Hit]:
    """The retrieved passages of the studies the question is about."""
    return [h for h in ctx.hits if h.chunk.study in ctx.studies]


def prose(ctx: Context, builder: AnswerBuilder, hits: list[Hit], n: int,
          used: set[tuple[str, int]] | None = None) -> int:
    """Add the ``n`` best sentences of ``hits`` as one paragraph per study; return how many."""
    used = used if used is not None else set()
    focus_ = extractive.Focus(title_terms(ctx), CHAPTER_WEIGHT, ctx.similarity)
    picked = [p for p in extractive.select(ctx.index, ctx.question, hits, n=n + len(used),
                                           tips=ctx.tips, focus=focus_)
              if (p.hit.chunk.id, p.sentence.start) not in used][:n]
    groups: dict[str, list[str]] = {}
    for p in picked:
        used.add((p.hit.chunk.id, p.sentence.start))
        groups.setdefault(p.hit.chunk.study, []).append(builder.cited(p.hit.chunk,
                                                                      p.sentence.raw))
    for study, lines in groups.items():
        builder.add(f"**{study_title(ctx.index.graph, study)}:** " + " ".join(lines))
    return len(picked)


def lead_pieces(ctx: Context, hits: list[Hit]) -> list[Piece]:
    """The Decision sentences of a decision among the best passages, when the question is
    squarely about it."""
    for hit in hits[:LEAD_SOURCES]:
        chunk = hit.chunk
        if chunk.chapter != DECISIONS_CHAPTER or not chunk.heading_path:
            continue
        decision = best_decision(ctx.index, ctx.question, [chunk.study],
                                 lead_heading=chunk.heading_path[-1], min_score=LEAD_MIN_SCORE)
        if decision is not None and decision["heading"] == chunk.heading_path[-1]:
            return decision_record(ctx.index, ctx.question, decision).parts.get("decision",
                                                                                 [])[:2]
    return []


def _heading_share(ctx: Context, chunk: Chunk) -> float:
    """IDF-weighted share of the question's terms (study names aside) in the chunk heading."""
    query = question_terms(ctx.question) - title_terms(ctx)
    idf = ctx.index.term_idf
    total = sum(idf.get(t, 1.0) for t in query) or 1.0
    heading = set(tokenize([chunk.heading_path[-1] if chunk.heading_path else ""])[0])
    return sum(idf.get(t, 1.0) for t in query & heading) / total


def _item_spans(chunk: Chunk) -> list[tuple[int, int]]:
    """(start, end) offsets of the numbered list items of a chunk."""
    starts = [m.start() for m in _ITEM.finditer(chunk.text)]
    ends = [*starts[1:], len(chunk.text)] if starts else []
    spans = []
    for start, end in zip(starts, ends, strict=True):
        para = chunk.text.find("\n\n", start)
        spans.append((start, end if para < 0 or para > end else para))
    return spans


def steps(ctx: Context, chunk: Chunk, offset: int) -> list[list[Sentence]]:
    """The first sentence of each item of the numbered list holding ``offset``, when the
    list has at least ``MIN_STEPS`` items (a data flow or a deep dive walk-through)."""
    if chunk.chapter not in STEP_CHAPTERS:
        return []
    spans = _item_spans(chunk)
    at = next((i for i, (a, b) in enumerate(spans) if a <= offset < b), None)
    if at is None:
        return []
    lo = hi = at
    while lo > 0 and not chunk.text[spans[lo - 1][1]:spans[lo][0]].strip():
        lo -= 1
    while hi + 1 < len(spans) and not chunk.text[spans[hi][1]:spans[hi + 1][0]].strip():
        hi += 1
    found = clean_sentences(chunk, ctx.tips)
    walk: list[list[Sentence]] = []
    for a, b in spans[lo:hi + 1]:
        inside = [s for s in found if a <= s.start < b]
        if inside:
            # A terse step ("The worker inserts the run.") keeps the sentence that explains it.
            walk.append(inside[:2] if len(inside[0].text.split()) < SHORT_STEP else inside[:1])
    return walk[:MAX_STEPS] if len(walk) >= MIN_STEPS else []


def _item_label(chunk: Chunk, sentence: Sentence) -> str:
    """The bold label that opens the list item a sentence starts ("**Idempotent producer.** "),
    when the sentence follows it directly."""
    line_start = chunk.text.rfind("\n", 0, sentence.start) + 1
    m = _ITEM_LABEL.match(chunk.text[line_start:sentence.start])
    return f"{m.group(1)} " if m else ""


def compose(ctx: Context, builder: AnswerBuilder) -> bool:
    hits = focus(ctx) or ctx.hits
    used: set[tuple[str, int]] = set()
    lead = lead_pieces(ctx, hits)
    if lead:
        builder.add(" ".join(builder.cited(p.chunk, p.sentence.raw) for p in lead))
        used |= {(p.chunk.id, p.sentence.start) for p in lead}
    n = ctx.sentences - len(lead)
    focus_ = extractive.Focus(title_terms(ctx), CHAPTER_WEIGHT, ctx.similarity)
    picked = extractive.select(ctx.index, ctx.question, hits, n=n + 2, tips=ctx.tips,
                               focus=focus_)
    walk: list[list[Sentence]] = []
    # A numbered walk-through: the list holding one of the best sentences, else the first
    # list of a top passage whose heading names what is asked ("Deep dive: exactly-once").
    starts = [(p.hit.chunk, p.sentence.start) for p in picked[:STEP_SOURCES]]
    starts += [(h.chunk, a) for h in hits[:HEADING_SOURCES]
               if _heading_share(ctx, h.chunk) >= HEADING_SHARE
               for a, _ in _item_spans(h.chunk)[:1]]
    for chunk, offset in starts:
        walk = steps(ctx, chunk, offset)
        if walk:
            break
    if walk:
        shown = {(chunk.id, s.start) for item in walk for s in item}
        prose(ctx, builder, hits, max(n - len(walk), 1), used | shown)
        label = heading_before(chunk, walk[0][0].start)
        lines = [f"{i}. {_item_label(chunk, item[0])}"
                 + " ".join(builder.cited(chunk, s.raw) for s in item)
                 for i, item in enumerate(walk, 1)]
        builder.add(f"**{label}:**\n" + "\n".join(lines))
    else:
        prose(ctx, builder, hits, n, used)
    return not builder.empty
