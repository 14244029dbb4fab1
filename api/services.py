"""The in-process services the HTTP routes, the UI and the CLI share.

Holds the settings, the embedder (loaded once) and the current index, which a reindex
replaces in one reference swap: requests already running keep the index they started with.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from index.embedder import Embedder, load_embedder
from index.manifest import IndexLoadError
from index.settings import Settings
from index.store import Index
from ingest.pipeline import IngestReport, ingest


def embedder_for(settings: Settings) -> Embedder:
    return load_embedder(settings.model_path, settings.model_name, settings.embed_batch_size,
                         settings.query_cache_size)


def load_index(settings: Settings, index_dir: Path | None = None) -> Index:
    return Index.load(index_dir or settings.index_dir, embedder_for(settings),
                      settings.hybrid_dense_weight, settings.rrf_k)


class IndexNotReady(RuntimeError):
    """No index is loaded yet (it is being built, or building failed)."""


@dataclass
class Services:
    """Settings, embedder and the swappable current index."""

    settings: Settings
    _index: Index | None = None
    state: str = "empty"  # empty | building | ready | failed
    message: str = "No index loaded yet."
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def index(self) -> Index:
        current = self._index
        if current is None:
            raise IndexNotReady(self.message)
        return current

    @property
    def ready(self) -> bool:
        return self._index is not None

    def open(self) -> None:
        """Load the configured index, raising IndexLoadError if there is none or it is stale."""
        self._index = load_index(self.settings)
        self.state, self.message = "ready", "Index loaded."

    def build(self, progress: bool = True) -> IngestReport:
        """Ingest the content folder and swap the new index in (one build at a time)."""
        if not self._lock.acquire(blocking=False):
            raise RuntimeError("An index build is already running.")
        try:
            if self._index is None:
                self.state = "building"
                self.message = "The index is being built; try again in a minute."
            report = ingest(self.settings.content_dir, self.settings.index_dir,
                            embedder_for(self.settings), progress=progress,
                            on_stage=self._stage)
            self._index = load_index(self.settings)
            self.state, self.message = "ready", "Index loaded."
            return report
        except Exception as exc:
            if self._index is None:
                self.state, self.message = "failed", f"Building the index failed: {exc}"
            raise
        finally:
            self._lock.release()

    def _stage(self, message: str) -> None:
        """Show build progress while no index is served yet."""
        if self._index is None:
            self.message = f"The index is being built. {message}"

    def open_or_build(self, progress: bool = True) -> None:
        """Serve the existing index, or build one first when there is none."""
        try:
            self.open()
        except IndexLoadError:
            if (Path(self.settings.index_dir) / "manifest.json").exists():
                raise
            self.build(progress=progress)
