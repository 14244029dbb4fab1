"""Markdown and HTML fragments the UI shows: passages, search hits, concept and study pages.

In-app links use fragment hrefs (``#cg-cite=<chunk id>``, ``#cg-study=<id>``, ``#cg-doc=<path>``,
``#cg-concept=<id>``) that the page script in ``ui.assets`` turns into events, not navigation.
"""

from __future__ import annotations

import html
import posixpath
import re
from urllib.parse import quote

from api.answer_types import Answer, Citation
from index.chunks import Chunk
from index.lexical import stem, tokenize
from index.relevance import relevance_label

FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
MD_LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\(([^)\s]+)\)")
CITE_MARK = re.compile(r"\[(\d+)\]")


def href(kind: str, key: str) -> str:
    """A fragment link the page script handles: ``kind`` is cite, hit, study, doc or concept."""
    return f"#cg-{kind}={quote(key, safe='')}"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _escape(label: str) -> str:
    """Square brackets escaped, so a label can be the text of a markdown link."""
    return label.replace("[", "\\[").replace("]", "\\]")


def relink(text: str, base: str, docs: dict[str, str]) -> str:
    """Rewrite relative markdown links: to an indexed chapter in-app, to other files as raw sources.

    ``base`` is the content-relative path of the file the text comes from; ``docs`` maps
    content-relative document paths to their study id. External and fragment links stay.
    """

    def fix(m: re.Match[str]) -> str:
        label, target = m.group(1), m.group(2)
        if re.match(r"^([a-z]+:|/|#)", target):
            return m.group(0)
        path = posixpath.normpath(posixpath.join(posixpath.dirname(base), target.split("#")[0]))
        if path in docs:
            return f"[{label}]({href('doc', path)})"
        if path.endswith(".md") and not path.startswith(".."):
            return f"[{label}](/sources/{path})"
        return label

    return MD_LINK.sub(fix, text)


def demote(text: str, by: int = 3) -> str:
    """Markdown with every heading ``by`` levels smaller (at most h6); code blocks untouched."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            line = re.sub(r"^(#{1,6})(?=\s)", lambda m: "#" * min(6, len(m.group(1)) + by), line)
        out.append(line)
    return "\n".join(out)


def passage_markdown(chunk: Chunk, docs: dict[str, str] | None = None) -> str:
    """A cited passage with where it comes from (its own headings shown small)."""
    text = demote(relink(chunk.text, chunk.path, docs or {}))
    return (
        f"### {chunk.study_title}\n"
        f"**{chunk.chapter}** · {chunk.heading}  \n"
        f"`{chunk.path}` lines {chunk.start_line}-{chunk.end_line} · "
        f"[raw source](/sources/{chunk.path})\n\n---\n\n{text}"
    )


def citation_label(c: Citation) -> str:
    """How a numbered source reads, in the chat and beside it."""
    return f"[{c.n}] {c.study} · {c.heading.split(' > ')[-1]} (lines {c.start_line}-{c.end_line})"


def answer_markdown(answer: Answer, docs: dict[str, str] | None = None) -> str:
    """The chat message for an answer: a not-covered mark, the text with linked [n] markers,
    and the numbered sources, each a link that opens its passage beside the chat."""
    if not answer.grounded:
        return f"⚠️ **Not covered by the case studies.**\n\n{answer.answer}"
    by_n = {c.n: c for c in answer.citations}
    base = answer.citations[0].path if answer.citations else ""
    text = relink(answer.answer, base, docs or {})
    text = CITE_MARK.sub(
        lambda m: (f"[{_escape(m.group(0))}]({href('cite', by_n[int(m.group(1))].chunk_id)})"
                   if int(m.group(1)) in by_n else m.group(0)), text)
    sources = "\n".join(f"- [{_escape(citation_label(c))}]({href('cite', c.chunk_id)})"
                        for c in answer.citations)
    notice = f"\n\n_{answer.notice}_" if answer.notice else ""
    return f"{text}{notice}\n\n**Sources** (click one to read it beside the chat):\n{sources}"


def highlight(text: str, query: str) -> str:
    """HTML-escaped text with the words whose stems match the query wrapped in <mark>."""
    stems = set(tokenize([query])[0])
    out = []
    for piece in re.split(r"(\w+)", text):
        if piece and piece[0].isalnum() and stem(piece) in stems:
            out.append(f"<mark>{html.escape(piece)}</mark>")
        else:
            out.append(html.escape(piece))
    return "".join(out)


def plain(text: str) -> str:
    """Markdown reduced to running text for snippets: no headings, fences, table rules,
    emphasis or link targets."""
    text = re.sub(r"^\s{0,3}(#{1,6}\s.*|```.*|~~~.*|\|?[\s:|-]*-[\s:|-]*\|?)$", "", text, flags=re.M)
    text = re.sub(r"^\s*\|(.*?)\|?\s*$", lambda m: m.group(1).replace("|", " · "), text, flags=re.M)
    text = MD_LINK.sub(r"\1", text)
    text = re.sub(r"\*\*|__|`", "", text)
    return " ".join(text.split())


def results_html(results: list[dict], query: str, notice: str = "") -> str:
    """Search hits as cards: relevance (cosine, keyword match, a weak-match mark), study,
    heading, highlighted text, links to the passage; ``notice`` heads the list."""
    head = f"<p class='cg-notice'>{html.escape(notice)}</p>" if notice else ""
    if not results:
        return head + "<p class='cg-empty'>No passages match. Loosen a filter or rephrase.</p>"
    cards = [head] if head else []
    for n, r in enumerate(results, 1):
        text = highlight(plain(r["text"])[:900], query)
        path = html.escape(r["path"])
        weak = "<span class='cg-weak'>weak match</span>" if r["weak"] else ""
        cards.append(
            f"<div class='cg-hit{' cg-hit-weak' if r['weak'] else ''}'>"
            f"<div class='cg-hit-head'>"
            f"<span class='cg-score'>{html.escape(relevance_label(r))}{weak}</span>"
            f"<b>{n}. {html.escape(r['study_title'])}</b> · {html.escape(r['chapter'])} · "
            f"{html.escape(r['heading'])}</div>"
            f"<div class='cg-hit-text'>{text}</div>"
            f"<a class='cg-open' href='{href('hit', r['chunk_id'])}'>open passage</a> · "
            f"<a href='/sources/{path}' target='_blank'>{path}</a> lines "
            f"{r['start_line']}-{r['end_line']}</div>"
        )
    return "\n".join(cards)


def concept_markdown(detail: dict) -> str:
    """Definition, studies with one evidence snippet each, related concepts, alternatives."""
    lines = [f"## {detail['name']}", f"*{detail['category']}*", "", detail["definition"]]
    if detail["aliases"]:
        lines += ["", "Also called: " + ", ".join(detail["aliases"])]
    lines += ["", f"### Used in {_plural(len(detail['studies']), 'study', 'studies')}"]
    for s in detail["studies"]:
        key = ", key concept" if s["declared"] else ""
        lines.append(f"- **[{s['title']}]({href('study', s['id'])})** "
                     f"({_plural(s['mentions'], 'passage', 'passages')}{key})")
        for ev in s["evidence"]:
            lines.append(f"  > {plain(ev['snippet'])}  \n  > [`{ev['path']}`](/sources/{ev['path']}) "
                         f"lines {ev['start_line']}-{ev['end_line']}")
    if detail["related"]:
        lines += ["", "### Related concepts",
                  ", ".join(f"[{r['name']}]({href('concept', r['id'])})" for r in detail["related"])]
    if detail["alternatives"]:
        lines += ["", "### Alternatives weighed against it"]
        for alt in detail["alternatives"]:
            for d in alt["decisions"]:
                lines.append(f"- **[{alt['name']}]({href('concept', alt['id'])})** in "
                             f"[{d['study']}]({href('study', d['study'])}) ({d['heading']})")
                if d["reconsider"]:
                    lines.append(f"  - When to reconsider: {d['reconsider']}")
    return "\n".join(lines)


def study_markdown(detail: dict, names: dict[str, str] | None = None) -> str:
    """The facts panel of a study: scale, references, concepts, similar studies.

    ``names`` maps concept ids to display names (the graph stores shared concepts by id).
    """
    names = names or {}
    concepts = ", ".join(
        f"[{'**' + c['name'] + '**' if c['declared'] else c['name']}]({href('concept', c['id'])})"
        for c in detail["concepts"][:25])
    similar = "\n".join(
        f"- [{s['title']}]({href('study', s['id'])}) "
        f"(shares {', '.join(names.get(c, c) for c in s['shared'][:5])})"
        for s in detail["similar"])
    facts = [f"*{detail['category']}*" if detail["category"] else "",
             f"scale: {detail['scale']}" if detail["scale"] else ""]
    real = f"Real world: {', '.join(detail['real_world'])}\n\n" if detail["real_world"] else ""
    return (
        f"## {detail['title']}\n{' · '.join(f for f in facts if f)}  \n{real}"
        f"### Concepts\n{concepts or 'none'}\n\n### Most similar studies\n{similar or 'none'}"
    )


def chapter_markdown(text: str, path: str = "", docs: dict[str, str] | None = None) -> str:
    """A chapter file for display: front matter removed, relative links made to work."""
    return relink(FRONT_MATTER.sub("", text, count=1), path, docs or {})
