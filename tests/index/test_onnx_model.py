"""The ONNX Runtime copy of the model: same vectors as torch, exported once, int8 kept apart."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.embedder import Embedder, TorchEncoder
from index.onnx_model import ExportError, OnnxEncoder, ensure_onnx, onnx_path
from index.settings import Settings

TEXTS = [
    "Why does the ride-matching service index drivers by geohash cell?",
    "Leader election in the broker uses a controller quorum.",
    "short",
    "A much longer passage about consistent hashing, virtual nodes and how rebalancing "
    "moves only a fraction of the keys when a cache node joins or leaves the ring. " * 8,
]


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return Path(Settings().model_path)


@pytest.fixture(scope="module")
def torch_vectors(model_dir: Path) -> np.ndarray:
    return TorchEncoder(str(model_dir)).encode(TEXTS)


def test_onnx_vectors_match_torch(model_dir, torch_vectors):
    settings = Settings()
    encoder = OnnxEncoder(model_dir, ensure_onnx(model_dir, settings.model_cache_dir, "fp32"))
    vectors = encoder.encode(TEXTS, batch_size=3)
    assert vectors.shape == torch_vectors.shape
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (vectors * torch_vectors).sum(1).min() > 0.9999


def test_export_is_reused_and_int8_is_a_model_of_its_own(model_dir, torch_vectors, tmp_path):
    first = ensure_onnx(model_dir, tmp_path, "int8")
    stamp = first.stat().st_mtime_ns
    assert ensure_onnx(model_dir, tmp_path, "int8") == first
    assert first.stat().st_mtime_ns == stamp
    assert first == onnx_path(model_dir, tmp_path, "int8")
    cosine = (OnnxEncoder(model_dir, first).encode(TEXTS) * torch_vectors).sum(1)
    assert cosine.min() > 0.97 and cosine.max() < 0.99999
    embedder = Embedder(str(model_dir), "all-MiniLM-L6-v2", backend="onnx-int8",
                        model_cache_dir=tmp_path)
    assert embedder.name == "all-MiniLM-L6-v2+int8"
    assert not embedder.loaded


def test_models_without_mean_pooling_are_refused(model_dir, tmp_path):
    other = tmp_path / "cls-model"
    shutil.copytree(model_dir, other, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    config = other / "1_Pooling" / "config.json"
    data = json.loads(config.read_text())
    data.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    config.write_text(json.dumps(data))
    with pytest.raises(ExportError, match="CASEGRAPH_EMBED_BACKEND=torch"):
        ensure_onnx(other, tmp_path / "cache", "fp32")
