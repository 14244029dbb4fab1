"""The index manifest (``manifest.json``): what was built, from what, with which model."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 1


class IndexLoadError(RuntimeError):
    """An index that cannot be served: missing, corrupt, or built for another model/format."""


@dataclass
class Manifest:
    """Build facts of one index directory."""

    format_version: int
    model_name: str
    dimension: int
    built_at: str
    build_seconds: float
    counts: dict[str, int]
    content_hashes: dict[str, str] = field(default_factory=dict)
    vocabulary_hash: str = ""

    def write(self, directory: Path) -> None:
        text = json.dumps(asdict(self), indent=2, sort_keys=True)
        (directory / MANIFEST_FILE).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST_FILE
        if not path.is_file():
            raise IndexLoadError(
                f"No casegraph index at {directory} (no {MANIFEST_FILE}). "
                "Build one with: casegraph ingest"
            )
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            raise IndexLoadError(
                f"The index manifest {path} is unreadable ({exc}). "
                "Rebuild the index with: casegraph ingest"
            ) from exc

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
