"""The embedded store's index folder: which build is active, one build at a time, atomic swaps.

The index path is a symbolic link to a build folder beside it. A build is written to a
temporary folder, renamed into place, and only then is the link replaced (``os.replace``),
so a crash at any point leaves the previous index whole and serving. A lock file beside the
link admits one build at a time across processes, and a build only ever removes builds the
link does not point to.

This module reads only manifests itself: the store's libraries (FAISS, bm25s, networkx) are
imported when a build is opened or written, so ``casegraph stats`` never pays for them.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from index.manifest import MANIFEST_FILE, Manifest

if TYPE_CHECKING:
    import numpy as np

    from index.stores import Build
    from index.stores.files import FileStore


class BuildLocked(RuntimeError):
    """Another process is building this index folder."""


class FileBackend:
    """An index folder (a link swapped atomically to the newest build folder)."""

    def __init__(self, index_dir: Path, hnsw_min_rows: int = 0):
        self.index_dir = Path(index_dir)
        self.hnsw_min_rows = hnsw_min_rows

    def describe(self) -> str:
        return str(self.index_dir)

    @property
    def builds_root(self) -> Path:
        """Folder holding the build directories the index link points into."""
        return self.index_dir.parent / f".{self.index_dir.name}.builds"

    def active_version(self) -> str | None:
        target = Path(os.path.realpath(self.index_dir))
        return target.name if (target / MANIFEST_FILE).is_file() else None

    @property
    def lock_path(self) -> Path:
        """The lock file one build of the index holds at a time, across processes."""
        return self.index_dir.parent / f".{self.index_dir.name}.lock"

    def open(self, search: bool = True) -> FileStore:
        from index.stores.files import FileStore

        return FileStore(Path(os.path.realpath(self.index_dir)), search)

    def active_manifest(self) -> tuple[str, Manifest]:
        directory = Path(os.path.realpath(self.index_dir))
        return directory.name, Manifest.read(directory)

    def cached_vectors(self, model_name: str, dimension: int) -> dict[str, np.ndarray]:
        """Vectors of the active build if it is intact and used the same model."""
        from index.stores.files import read_vectors

        return read_vectors(Path(os.path.realpath(self.index_dir)), model_name, dimension)

    @contextmanager
    def build_lock(self) -> Iterator[None]:
        """Hold the build lock (or raise BuildLocked at once), clearing what killed builds left."""
        self.index_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            lock = FileLock(self.lock_path).acquire(timeout=0)
        except Timeout as exc:
            raise BuildLocked(
                f"Another build of the index {self.index_dir.name} is running (it holds "
                f"{self.lock_path.name}); try again when it has finished."
            ) from exc
        with lock:
            self._remove_leftovers()
            yield

    def publish(self, build: Build, on_stage: Callable[[str], None] | None = None) -> str:
        """Write, seal, link; call with ``build_lock`` held. ``on_stage`` gets each step."""
        from index.stores.files import write_build

        stage = on_stage or (lambda _: None)
        root = self.builds_root
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f"tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            stage("Writing the new build.")
            write_build(tmp, build, self.hnsw_min_rows)
            stage("Sealing the new build.")
            final = root / f"build-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
            tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        stage("Linking the new build.")
        self._swap_link(final, stage)
        stage("Removing superseded builds.")
        self._remove_leftovers()
        return final.name

    def _swap_link(self, target: Path, stage: Callable[[str], None]) -> None:
        """Point the index path at ``target`` atomically; a plain directory there is moved aside."""
        index_dir = self.index_dir
        if index_dir.exists() and not index_dir.is_symlink():
            index_dir.rename(self.builds_root / f"previous-{uuid.uuid4().hex[:6]}")
        link = index_dir.parent / f".{index_dir.name}.link-{uuid.uuid4().hex[:6]}"
        os.symlink(os.path.relpath(target, index_dir.parent), link)
        stage("Swapping the index link.")
        os.replace(link, index_dir)

    def _remove_leftovers(self) -> None:
        """With the build lock held: drop every build but the one the link points to, and what
        interrupted builds left (``tmp-*`` folders, ``.<index>.link-*`` links)."""
        live = Path(os.path.realpath(self.index_dir))
        root = self.builds_root
        for old in root.iterdir() if root.is_dir() else []:
            if old.name.startswith(("build-", "tmp-", "previous-")) and old.resolve() != live:
                shutil.rmtree(old, ignore_errors=True)
        for link in self.index_dir.parent.glob(f".{self.index_dir.name}.link-*"):
            link.unlink(missing_ok=True)

