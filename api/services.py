"""The in-process services the HTTP routes, the UI and the CLI share.

Holds the settings, the embedder (loaded once), the store backend and the current index,
which a reindex replaces in one reference swap: requests already running keep the index they
started with. A watcher thread polls the backend's active version, so every server process
(workers, replicas) picks up a version another process published, without a restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from index.embedder import Embedder, load_embedder
from index.manifest import IndexLoadError
from index.settings import Settings
from index.store import Index
from index.stores import Backend, open_backend
from ingest.pipeline import IngestReport, ingest

log = logging.getLogger("casegraph")


def embedder_for(settings: Settings) -> Embedder:
    return load_embedder(settings.model_path, settings.model_name, settings.embed_batch_size,
                         settings.query_cache_size, settings.embed_backend,
                         settings.model_cache_dir)


def load_index(settings: Settings, backend: Backend | None = None) -> Index:
    """The active version of the configured index."""
    store = (backend or open_backend(settings)).open()
    return Index(store, embedder_for(settings), settings.hybrid_dense_weight, settings.rrf_k,
                 settings.fusion_pool)


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
    _backend: Backend | None = None
    _watcher: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = open_backend(self.settings)
        return self._backend

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
        self._index = load_index(self.settings, self.backend)
        self.state, self.message = "ready", "Index loaded."

    def refresh(self) -> bool:
        """Switch to the backend's active version if it changed; True when it did."""
        active = self.backend.active_version()
        current = self._index
        if active is None or (current is not None and current.version == active):
            return False
        self._index = load_index(self.settings, self.backend)
        self.state, self.message = "ready", "Index loaded."
        return True

    def watch(self) -> None:
        """Poll the active version every ``store_poll_s`` seconds in a daemon thread."""
        if self._watcher is not None or self.settings.store_poll_s <= 0:
            return

        def run() -> None:
            while not self._stop.wait(self.settings.store_poll_s):
                try:
                    if self.refresh():
                        log.info("casegraph switched to index version %s", self._index.version)
                except Exception as exc:  # keep serving the loaded version
                    log.warning("casegraph could not switch index versions: %s", exc)

        self._watcher = threading.Thread(target=run, name="casegraph-watch", daemon=True)
        self._watcher.start()

    def close(self) -> None:
        """Stop the watcher."""
        self._stop.set()

    def build(self, progress: bool = True,
              on_stage: Callable[[str], None] | None = None) -> IngestReport:
        """Ingest the content folder and swap the new index in (one build at a time);
        ``on_stage`` also receives the build's status lines."""
        if not self._lock.acquire(blocking=False):
            raise RuntimeError("An index build is already running.")
        try:
            if self._index is None:
                self.state = "building"
                self.message = "The index is being built; try again in a minute."
            report = ingest(self.settings.content_dir, self.backend,
                            embedder_for(self.settings), progress=progress,
                            on_stage=lambda message: self._stage(message, on_stage),
                            max_file_bytes=self.settings.max_file_bytes,
                            max_chunks=self.settings.max_chunks)
            self._index = load_index(self.settings, self.backend)
            self.state, self.message = "ready", "Index loaded."
            return report
        except Exception as exc:
            if self._index is None:
                self.state, self.message = "failed", f"Building the index failed: {exc}"
            raise
        finally:
            self._lock.release()

    def _stage(self, message: str, also: Callable[[str], None] | None = None) -> None:
        """Show build progress while no index is served yet."""
        if also is not None:
            also(message)
        if self._index is None:
            self.message = f"The index is being built. {message}"

    def open_or_build(self, progress: bool = True) -> None:
        """Serve the existing index, or build one first when there is none."""
        try:
            self.open()
        except IndexLoadError:
            if self.backend.active_version() is not None:
                raise
            self.build(progress=progress)
