"""The in-process services the HTTP routes and the UI share.

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

from api.loader import embedder_for, index_over, load_index
from index.manifest import IndexLoadError
from index.settings import Settings
from index.store import Index
from index.stores import Backend, Build, open_backend
from index.stores.files import MemoryStore
from ingest.pipeline import BuildBusy, Hooks, IngestReport, ingest

log = logging.getLogger("casegraph")

BUSY_RETRY_S = 1.0  # how often a server waiting on another process's build looks again


class IndexNotReady(RuntimeError):
    """No index is loaded yet (it is being built, or building failed)."""


@dataclass
class BuildProgress:
    """The running build: its latest stage and how many passages have vectors."""

    stage: str = ""
    embedded: int = 0
    total: int = 0


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
    progress: BuildProgress | None = None

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

    @property
    def keyword_only(self) -> bool:
        """Serving the keyword-only index of a first start (the vectors are being built)."""
        current = self._index
        return current is not None and current.keyword_only

    def keyword_notice(self) -> str:
        """What users read while keyword-only: how far the semantic index is (or why it
        stopped, when its build failed)."""
        done = self.progress
        if done is None:
            return self.message
        return (f"Keyword results while the semantic index builds: {done.embedded} of "
                f"{done.total} passages.")

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

    @property
    def stopping(self) -> threading.Event:
        """Set when the server shuts down; background work checks it between steps."""
        return self._stop

    def close(self) -> None:
        """Stop the watcher (and background work watching ``stopping``)."""
        self._stop.set()

    def build(self, progress: bool = True, on_stage: Callable[[str], None] | None = None,
              keyword_first: bool = False) -> IngestReport:
        """Ingest the content folder and swap the new index in (one build at a time);
        ``on_stage`` also receives the build's status lines. With ``keyword_first`` and no
        index served yet, the build's chunks and graph are served with BM25 alone (in
        memory) as soon as they exist, until the full index replaces them."""
        if not self._lock.acquire(blocking=False):
            raise RuntimeError("An index build is already running.")
        self.progress = BuildProgress()
        hooks = Hooks(stage=lambda message: self._stage(message, on_stage),
                      embedded=self._embedded)
        if keyword_first:
            hooks.lexical = self._serve_keywords
        try:
            if self._index is None:
                self.state = "building"
                self.message = "The index is being built; try again in a minute."
            report = ingest(self.settings.content_dir, self.backend,
                            embedder_for(self.settings), progress=progress,
                            max_file_bytes=self.settings.max_file_bytes,
                            max_chunks=self.settings.max_chunks, hooks=hooks)
            self._index = load_index(self.settings, self.backend)
            self.state, self.message = "ready", "Index loaded."
            return report
        except BuildBusy:
            raise
        except Exception as exc:
            if self._index is None:
                self.state, self.message = "failed", f"Building the index failed: {exc}"
            elif self._index.keyword_only:
                self.message = (f"Building the semantic index failed ({exc}); search and "
                                "answers use keywords only.")
            raise
        finally:
            self.progress = None
            self._lock.release()

    def _stage(self, message: str, also: Callable[[str], None] | None = None) -> None:
        """Record the build's stage; it is the status message while no index is served."""
        if also is not None:
            also(message)
        if self.progress is not None:
            self.progress.stage = message
        if self._index is None:
            self.message = f"The index is being built. {message}"

    def _embedded(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress.embedded, self.progress.total = done, total
        if self.keyword_only:
            self.message = self.keyword_notice()
        elif self._index is None:
            self.message = f"The index is being built. Embedded {done} of {total} passages."

    def _serve_keywords(self, build: Build) -> None:
        """Serve a build's chunks and graph by keywords while its vectors are computed."""
        if self._index is not None:
            return
        store = MemoryStore.keyword_only(build.manifest, build.chunks, build.graph)
        self._index = index_over(self.settings, store, keyword_only=True)
        self.state = "ready"
        if self.progress is not None:
            self.progress.total = len(build.chunks)
        self.message = self.keyword_notice()
        log.info("casegraph serves keyword search over %d passages while the vectors are "
                 "built", len(build.chunks))

    def open_or_build(self, progress: bool = True, keyword_first: bool = True,
                      on_stage: Callable[[str], None] | None = None) -> None:
        """Serve the existing index, or build one when there is none (serving it by
        keywords while its vectors are computed, with ``keyword_first``). While another
        process builds the index files, wait for it and serve what it publishes."""
        waiting = False
        while True:
            try:
                self.open()
                return
            except IndexLoadError:
                if self.backend.active_version() is not None:
                    raise
            try:
                self.build(progress=progress, on_stage=on_stage, keyword_first=keyword_first)
                return
            except BuildBusy:
                if not waiting:
                    log.info("casegraph waits for another process's build of the index")
                waiting = True
                self.state = "building"
                self.message = ("Another process is building the index; this server serves it "
                                "when that build ends.")
                if self._stop.wait(BUSY_RETRY_S):
                    raise
