"""Vector files keyed by embedding hash: the passage vectors shipped beside a content folder
(``embeddings.npz``), and the answer-sentence vectors a server saves beside the index.

A fresh clone's first build reuses them instead of embedding the whole corpus again: a vector
depends only on the model and the exact text, so a passage whose hash is in the file gets the
very vector it would have been given. Passages that changed since the file was written are
embedded as usual. A file for another model, or one that cannot be read, is ignored.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

EMBEDDINGS_FILE = "embeddings.npz"

log = logging.getLogger("casegraph")


def embed_hash(model_name: str, text: str) -> str:
    """The key of a text's vector: a hash of the model's name and the exact text."""
    return hashlib.sha256(f"{model_name}\n{text}".encode()).hexdigest()[:24]


def read_vector_cache(path: Path, model_name: str, dimension: int) -> dict[str, np.ndarray]:
    """Vectors by embedding hash, or nothing if the file is missing, unreadable or for
    another model or dimension."""
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            model, hashes, vectors = str(data["model"]), data["hashes"], data["vectors"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        log.warning("Ignoring %s: %s", path, exc)
        return {}
    if model != model_name or vectors.ndim != 2 or vectors.shape[1] != dimension \
            or len(hashes) != len(vectors):
        return {}
    return {str(h): v.astype("float32") for h, v in zip(hashes, vectors, strict=True)}


def write_vector_cache(path: Path, model_name: str, vectors: dict[str, np.ndarray]) -> int:
    """Write the vectors (sorted by hash, so the same corpus gives the same file) atomically;
    returns how many were written."""
    hashes = sorted(vectors)
    matrix = np.stack([vectors[h] for h in hashes]).astype("float32") if hashes else \
        np.zeros((0, 0), dtype="float32")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez_compressed(handle, model=np.array(model_name), hashes=np.array(hashes),
                                vectors=matrix)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(hashes)
