"""The index manifest (``manifest.json``): what was built, from what, with which model."""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path

MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 2
REBUILD = "Rebuild the index with: casegraph ingest"


class IndexLoadError(RuntimeError):
    """An index that cannot be served: missing, corrupt, or built for another model/format.

    Messages name files relative to the index folder, so they are safe to show to clients."""


@dataclass
class Manifest:
    """Build facts of one index directory; ``checksums`` has the sha256 of every other file."""

    format_version: int
    model_name: str
    dimension: int
    built_at: str
    build_seconds: float
    counts: dict[str, int]
    content_hashes: dict[str, str] = field(default_factory=dict)
    vocabulary_hash: str = ""
    checksums: dict[str, str] = field(default_factory=dict)

    def write(self, directory: Path) -> None:
        text = json.dumps(asdict(self), indent=2, sort_keys=True)
        (directory / MANIFEST_FILE).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST_FILE
        if not path.is_file():
            raise IndexLoadError(
                f"No casegraph index yet (the index folder has no {MANIFEST_FILE}). "
                "Build one with: casegraph ingest"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexLoadError(f"{MANIFEST_FILE} is not readable JSON. {REBUILD}") from exc
        return cls(**_checked(data))

    def check_compatible(self, model_name: str, dimension: int | None = None) -> None:
        """Refuse an index of another format or embedding model, saying how to fix it."""
        if self.format_version != FORMAT_VERSION:
            raise IndexLoadError(
                f"The index has format version {self.format_version}, this casegraph reads "
                f"version {FORMAT_VERSION}. Re-ingest: casegraph ingest"
            )
        if self.model_name != model_name or (dimension is not None and self.dimension != dimension):
            raise IndexLoadError(
                f"The index was embedded with {self.model_name} (dimension {self.dimension}), "
                f"but the configured model is {model_name}"
                + (f" (dimension {dimension})" if dimension is not None else "")
                + ". Re-ingest with the configured model: casegraph ingest"
            )


_KINDS: dict[str, tuple[type, ...]] = {
    "format_version": (int,), "model_name": (str,), "dimension": (int,), "built_at": (str,),
    "build_seconds": (int, float), "counts": (dict,), "content_hashes": (dict,),
    "vocabulary_hash": (str,), "checksums": (dict,),
}
_NAMES = {int: "an integer", float: "a number", str: "a string", dict: "an object"}


def _checked(data: object) -> dict:
    """The manifest fields of ``data``, each of the right JSON type, or an IndexLoadError."""
    if not isinstance(data, dict):
        raise IndexLoadError(f"{MANIFEST_FILE} must hold a JSON object. {REBUILD}")
    known = {f.name for f in fields(Manifest)}
    required = [f.name for f in fields(Manifest)
                if f.default is MISSING and f.default_factory is MISSING]
    missing = [name for name in required if name not in data]
    if missing:
        raise IndexLoadError(f"{MANIFEST_FILE} lacks {', '.join(missing)}. {REBUILD}")
    for name in known & data.keys():
        value, kinds = data[name], _KINDS[name]
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise IndexLoadError(
                f"{MANIFEST_FILE}: '{name}' must be {_NAMES[kinds[0]]}, not {json.dumps(value)}. "
                + REBUILD
            )
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in data["counts"].values()):
        raise IndexLoadError(f"{MANIFEST_FILE}: every count must be an integer. {REBUILD}")
    return {name: data[name] for name in known & data.keys()}
