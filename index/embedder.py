"""Sentence embeddings from one local model (ONNX Runtime or torch): loaded once per process,
normalized, queries cached and batched."""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future
from functools import lru_cache
from pathlib import Path
from threading import Lock
from typing import Literal

import numpy as np

from index.onnx_model import OnnxEncoder, ensure_onnx
from index.sanitize import scrub


class QueryBatcher:
    """Encodes concurrent queries together: whatever queued while the previous batch ran
    goes into the next forward pass. A lone query is encoded at once, with no added wait."""

    def __init__(self, encode, max_batch: int = 32):
        self._encode = encode
        self._max_batch = max_batch
        self._queue: list[tuple[str, Future]] = []
        self._ready = threading.Condition()
        self._worker: threading.Thread | None = None

    def submit(self, text: str) -> np.ndarray:
        future: Future = Future()
        with self._ready:
            self._queue.append((text, future))
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="query-batcher",
                                                daemon=True)
                self._worker.start()
            self._ready.notify()
        return future.result()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue:
                    self._ready.wait()
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
            try:
                vectors = self._encode([text for text, _ in batch])
            except Exception as exc:
                self._one_by_one(batch, exc)
                continue
            for (_, future), vector in zip(batch, vectors, strict=True):
                future.set_result(vector)

    def _one_by_one(self, batch: list[tuple[str, Future]], exc: Exception) -> None:
        """A batch failed: encode its queries alone, so only the query at fault fails."""
        if len(batch) == 1:
            batch[0][1].set_exception(exc)
            return
        for text, future in batch:
            try:
                future.set_result(self._encode([text])[0])
            except Exception as own:
                future.set_exception(own)


def model_dimension(model_path: str) -> int | None:
    """The vector size a sentence-transformers model folder declares, read without loading it."""
    folder = Path(model_path)
    for name, key in (("1_Pooling/config.json", "word_embedding_dimension"),
                      ("config.json", "hidden_size")):
        try:
            return int(json.loads((folder / name).read_text(encoding="utf-8"))[key])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


Backend = Literal["torch", "onnx", "onnx-int8"]


class TorchEncoder:
    """The model on sentence-transformers (and torch), as it ships."""

    def __init__(self, model_path: str):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(model_path, device="cpu", local_files_only=True)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self._model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)


class Embedder:
    """Embeds passages and queries with one local sentence-transformers model.

    ``backend`` picks how the model runs: ``onnx`` (ONNX Runtime, the same vectors as torch
    within float error, without importing torch), ``onnx-int8`` (weights quantized to int8:
    faster, slightly different vectors, so indexes record it as a model of its own) or
    ``torch``. The model loads on the first encode, so commands and start-up work that only
    read an index never pay for it.
    """

    def __init__(self, model_path: str, name: str, batch_size: int = 32, cache_size: int = 2048,
                 backend: Backend = "onnx", model_cache_dir: Path = Path(".casegraph/models")):
        self.name = f"{name}+int8" if backend == "onnx-int8" else name
        self.model_path = model_path
        self.backend = backend
        self.model_cache_dir = model_cache_dir
        self.batch_size = batch_size
        self._encoder: TorchEncoder | OnnxEncoder | None = None
        self._load_lock = Lock()
        self.dimension = model_dimension(model_path) or self.encoder.encode(["x"]).shape[1]
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = Lock()
        self._batcher = QueryBatcher(self.encode)

    @property
    def encoder(self) -> TorchEncoder | OnnxEncoder:
        """The model, loaded on first use (once, thread-safe)."""
        with self._load_lock:
            if self._encoder is None:
                self._encoder = self._load()
            return self._encoder

    def _load(self) -> TorchEncoder | OnnxEncoder:
        if self.backend == "torch":
            return TorchEncoder(self.model_path)
        folder = Path(self.model_path)
        variant = "int8" if self.backend == "onnx-int8" else "fp32"
        return OnnxEncoder(folder, ensure_onnx(folder, self.model_cache_dir, variant))

    @property
    def loaded(self) -> bool:
        return self._encoder is not None

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype="float32")
        return np.asarray(self.encoder.encode(texts, self.batch_size), dtype="float32")

    def clear_cache(self) -> None:
        """Forget cached query vectors (benchmarks measure cold queries with it)."""
        with self._lock:
            self._cache.clear()

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector, from an LRU cache when the same text was asked before, else
        encoded in a batch with the queries that arrive alongside it. Characters the
        tokenizer cannot take (lone surrogates, control characters) are replaced first."""
        text = scrub(text)
        key = " ".join(text.split()).lower()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        vector = self._batcher.submit(text)
        with self._lock:
            self._cache[key] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector


@lru_cache(maxsize=4)
def load_embedder(model_path: str, name: str, batch_size: int = 32, cache_size: int = 2048,
                  backend: Backend = "onnx",
                  model_cache_dir: Path = Path(".casegraph/models")) -> Embedder:
    """The process-wide embedder for a model (the model loads once per process)."""
    return Embedder(model_path, name, batch_size, cache_size, backend, model_cache_dir)
