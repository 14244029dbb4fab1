"""Concepts of the vocabulary and the deterministic matcher that tags text with them."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field


def slugify(text: str) -> str:
    """Lower-case, hyphen-separated id for a name (``Consistent Hashing`` -> ``consistent-hashing``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "x"


@dataclass(frozen=True)
class Concept:
    """One entry of the vocabulary."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    category: str = ""
    definition: str = ""
    match_case: bool = False  # for names that are also English words ("DASH" vs "dash")

    @property
    def terms(self) -> tuple[str, ...]:
        """Every surface form that tags a text with this concept."""
        return (self.name, *self.aliases)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "aliases": list(self.aliases),
            "category": self.category,
            "definition": self.definition,
        }


@dataclass
class ConceptMatcher:
    """Case-insensitive, word-bounded, alias-aware matching of concepts in text.

    Prefix-tree regexes, longest terms first, so ``LL-HLS`` wins over ``HLS`` and
    ``Redis GEO`` over ``Redis``. A trailing plural ``s``/``es`` is accepted, except on short
    lower-case terms (``trie`` must not match ``tries``). Concepts flagged ``match_case``
    match only with their exact capitalisation.
    """

    concepts: list[Concept]
    _by_term: dict[str, str] = field(init=False, repr=False)
    _by_id: dict[str, Concept] = field(init=False, repr=False)
    _patterns: list[re.Pattern[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {c.id: c for c in self.concepts}
        self._by_term = {}
        for concept in self.concepts:
            for term in concept.terms:
                self._by_term.setdefault(term.lower(), concept.id)
            self._by_term.setdefault(concept.id, concept.id)
        self._exact = {t: c.id for c in self.concepts if c.match_case for t in c.terms}
        loose = {t for c in self.concepts if not c.match_case for t in c.terms}
        self._patterns = [
            _alternation(loose, re.IGNORECASE),
            _alternation(set(self._exact), 0),
        ]

    def get(self, concept_id: str) -> Concept | None:
        return self._by_id.get(concept_id)

    def resolve(self, name: str) -> Concept | None:
        """The concept whose id, name or alias equals ``name`` (any case), else None."""
        key = name.strip().lower()
        cid = self._by_term.get(key) or self._by_term.get(slugify(key))
        if cid is None and key.endswith("s"):
            cid = self._by_term.get(key[:-1])
        return self._by_id.get(cid) if cid else None

    def suggest(self, name: str, n: int = 5) -> list[str]:
        """Close names for an unknown concept, for "did you mean" messages.

        Every name and alias is compared with ``name``; a concept ranks by its closest term
        (so "kafak" finds Apache Kafka through its alias "Kafka"), then names containing
        ``name`` follow.
        """
        key = name.strip().lower()
        best: dict[str, float] = {}
        for concept in self.concepts:
            for term in concept.terms:
                ratio = difflib.SequenceMatcher(None, key, term.lower()).ratio()
                if ratio >= 0.6 and ratio > best.get(concept.name, 0.0):
                    best[concept.name] = ratio
        hits = sorted(best, key=lambda c: (-best[c], c))
        contains = [c.name for c in self.concepts
                    if key and c.name not in best and any(key in t.lower() for t in c.terms)]
        return (hits + contains)[:n]

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, concept id) of every match in ``text``."""
        found = []
        for pattern in self._patterns:
            for m in pattern.finditer(text):
                term = m.group(1) or m.group(2)
                cid = self._exact.get(term) or self._by_term[term.lower()]
                found.append((m.start(), m.end(), cid))
        if len(self._patterns) > 1:
            found = _without_overlaps(found)
        return found

    def count(self, text: str) -> Counter[str]:
        """How often each concept occurs in ``text``."""
        return Counter(cid for _, _, cid in self.spans(text))

    def find(self, text: str) -> list[str]:
        """Concept ids in ``text``, most frequent first, ties in order of first appearance."""
        counts = self.count(text)
        return [cid for cid, _ in counts.most_common()]


def _alternation(terms: set[str], flags: int) -> re.Pattern[str]:
    """One regex for many terms; group 1 takes plurals, group 2 the short lower-case terms.

    The terms are compiled as a character trie, so matching costs about the same for ten
    terms as for two thousand.
    """
    fold = (lambda t: t.lower()) if flags & re.IGNORECASE else (lambda t: t)
    plural = {fold(t) for t in terms if not (len(t) <= 4 and t.islower())}
    bare = {fold(t) for t in terms if len(t) <= 4 and t.islower()}
    return re.compile(
        rf"(?<![\w-])(?:({_trie(plural)})(?:s|es)?|({_trie(bare)}))(?!\w)", flags)


def _trie(terms: set[str]) -> str:
    """A regex matching exactly ``terms``, longest first, shaped as a prefix tree."""
    root: dict = {}
    for term in terms:
        node = root
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root) or "(?!)"


def _without_overlaps(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Keep the longest of overlapping matches, in text order."""
    kept: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s[0], s[0] - s[1])):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept
