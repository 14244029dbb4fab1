"""The concept vocabulary file, ``concepts.yaml``: a list of {name, aliases, category, definition}."""

from __future__ import annotations

from pathlib import Path

import yaml

from index.concepts import Concept, slugify

VOCABULARY_FILE = "concepts.yaml"
# libyaml's safe loader when PyYAML was built with it: ten times faster on the vocabulary
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class VocabularyError(ValueError):
    """A vocabulary file that is malformed or ambiguous."""


def load_vocabulary(path: Path) -> list[Concept]:
    """Read and validate a vocabulary file; a missing file is an empty vocabulary."""
    if not path.is_file():
        return []
    try:
        entries = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER) or []
    except yaml.YAMLError as exc:
        raise VocabularyError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(entries, list):
        raise VocabularyError(f"{path}: expected a list of concepts")
    concepts: list[Concept] = []
    owner: dict[str, str] = {}
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
            raise VocabularyError(f"{path}: entry {n} needs a 'name'")
        name = str(entry["name"]).strip()
        aliases = tuple(str(a).strip() for a in entry.get("aliases") or [] if str(a).strip())
        concept = Concept(
            id=slugify(name),
            name=name,
            aliases=aliases,
            category=str(entry.get("category") or "").strip(),
            definition=" ".join(str(entry.get("definition") or "").split()),
            match_case=bool(entry.get("match_case", False)),
        )
        for term in (concept.id, *concept.terms):
            key = term.lower()
            if key in owner and owner[key] != concept.id:
                raise VocabularyError(
                    f"{path}: '{term}' of concept '{name}' is already used by '{owner[key]}'"
                )
            owner[key] = concept.id
        concepts.append(concept)
    return concepts
