"""Markdown parsing with markdown-it-py: front matter, headings, top-level blocks with line spans."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark").enable("table")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(\n|\Z)", re.S)
MAX_FRONT_MATTER_CHARS = 16_384
MAX_FIELD_CHARS = 2_000
MAX_LIST_ITEMS = 200


class FrontMatterError(ValueError):
    """YAML front matter that does not parse, uses aliases, or is over a size cap."""


class _NoAliasLoader(yaml.SafeLoader):
    """A SafeLoader that refuses YAML aliases, so a few bytes cannot expand into gigabytes."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise FrontMatterError(
                f"YAML aliases are not allowed in front matter (*{event.anchor} at line "
                f"{event.start_mark.line + 1}); write the value out"
            )
        return super().compose_node(parent, index)


def _load_front_matter(text: str) -> dict:
    """The front matter as a dict, within the size caps."""
    if len(text) > MAX_FRONT_MATTER_CHARS:
        raise FrontMatterError(
            f"front matter is {len(text):,} characters; the limit is {MAX_FRONT_MATTER_CHARS:,}"
        )
    try:
        loaded = yaml.load(text, Loader=_NoAliasLoader) or {}
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"invalid YAML front matter: {exc}") from exc
    if not isinstance(loaded, dict):
        return {}
    for key, value in loaded.items():
        _check_field(str(key), value)
    return loaded


def _check_field(key: str, value: object) -> None:
    """Refuse over-long strings and lists in a front-matter field."""
    if isinstance(value, list | dict) and len(value) > MAX_LIST_ITEMS:
        raise FrontMatterError(f"front-matter field '{key}' has {len(value)} items; "
                               f"the limit is {MAX_LIST_ITEMS}")
    if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
        raise FrontMatterError(f"front-matter field '{key}' is {len(value):,} characters; "
                               f"the limit is {MAX_FIELD_CHARS:,}")
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    for item in items:
        _check_field(key, item)


@dataclass
class Block:
    """A top-level markdown block: ``kind`` is the markdown-it token type without ``_open``."""

    kind: str
    start: int  # 0-based first line
    end: int  # 0-based line after the last
    level: int = 0  # heading level for headings
    heading: str = ""  # heading text for headings
    items: list[tuple[int, int]] = field(default_factory=list)  # list item spans, for lists


@dataclass
class ParsedDocument:
    """One markdown file: its lines, front matter, blocks and outgoing links."""

    lines: list[str]
    front_matter: dict
    blocks: list[Block]
    links: list[str] = field(default_factory=list)

    @property
    def title(self) -> str | None:
        """``title`` from front matter, else the first H1."""
        if isinstance(self.front_matter.get("title"), str):
            return self.front_matter["title"].strip()
        for block in self.blocks:
            if block.kind == "heading" and block.level == 1:
                return block.heading
        return None


def parse_markdown(text: str) -> ParsedDocument:
    """Parse ``text``; front-matter lines are blanked so line numbers stay those of the file."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    front: dict = {}
    match = _FRONT_MATTER.match(text)
    if match:
        front = _load_front_matter(match.group(1) or "")
        n = match.group(0).count("\n")
        text = "\n" * n + text[match.end():]
    lines = text.split("\n")
    tokens = _MD.parse(text)
    blocks: list[Block] = []
    links: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.type == "inline":
            links += [c.attrs["href"] for c in tok.children or [] if c.type == "link_open"]
        if tok.level != 0 or tok.map is None or tok.type.endswith("_close"):
            continue
        kind = tok.type.removesuffix("_open")
        block = Block(kind=kind, start=tok.map[0], end=tok.map[1])
        if kind == "heading":
            block.level = int(tok.tag[1])
            block.heading = _plain(tokens[i + 1].content)
        blocks.append(block)
    _attach_list_items(tokens, blocks)
    return ParsedDocument(lines=lines, front_matter=front, blocks=blocks, links=links)


def _plain(inline: str) -> str:
    """Heading text without emphasis and code markers."""
    return re.sub(r"[*_`]+", "", inline).strip()


def _attach_list_items(tokens: list, blocks: list[Block]) -> None:
    """Record the line span of each item of every top-level list."""
    lists = {b.start: b for b in blocks if b.kind in ("bullet_list", "ordered_list")}
    owner: Block | None = None
    for tok in tokens:
        if tok.level == 0 and tok.map is not None and tok.map[0] in lists:
            owner = lists[tok.map[0]]
        elif tok.level == 0:
            owner = None
        if owner is not None and tok.type == "list_item_open" and tok.level == 1 and tok.map:
            owner.items.append((tok.map[0], tok.map[1]))
