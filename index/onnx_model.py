"""ONNX Runtime copy of a sentence-transformers model: exported once from the local weights,
checked against them, then run without torch.

The export (torch + transformers) happens once per model and variant, at set-up or on first
use, under a file lock; the file lands atomically in the model cache folder, named by a digest
of the weights, so a changed model folder gets a new export. ``OnnxEncoder`` then needs only
``onnxruntime`` and ``tokenizers``: it loads in well under a second, where torch takes seconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import numpy as np
from filelock import FileLock

Variant = Literal["fp32", "int8"]

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_PROBES = [
    "Consistent hashing moves only about 1/N of the keys when a node joins the ring.",
    "The fan-out service writes each new post into the cached timelines of every follower.",
    "Why does the broker keep an append-only log per partition instead of a queue?",
    "A geohash prefix of six characters covers a cell of roughly 1.2 km by 0.6 km.",
    "idempotency key",
]
# Lowest cosine each variant must reach against the torch model on the probes to be used.
_MIN_COSINE: dict[Variant, float] = {"fp32": 0.9999, "int8": 0.97}


class ExportError(RuntimeError):
    """The model cannot be exported to, or reproduced by, ONNX Runtime."""


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _weights(model_dir: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).is_file():
            return model_dir / name
    raise ExportError(f"No model weights (model.safetensors or pytorch_model.bin) in {model_dir}")


def check_supported(model_dir: Path) -> None:
    """Refuse model folders the encoder would get wrong: only mean pooling is reproduced."""
    pooling = model_dir / "1_Pooling" / "config.json"
    if not pooling.is_file() or not _read_json(pooling).get("pooling_mode_mean_tokens"):
        raise ExportError(
            f"{model_dir} does not use mean pooling; set CASEGRAPH_EMBED_BACKEND=torch for it")
    if not (model_dir / "tokenizer.json").is_file():
        raise ExportError(
            f"{model_dir} has no tokenizer.json; set CASEGRAPH_EMBED_BACKEND=torch for it")


def onnx_path(model_dir: Path, cache_dir: Path, variant: Variant) -> Path:
    """Where the export of this model's weights lives: named by the weights file's real path,
    size and modification time, so replaced weights get a new export without every process
    reading ~90 MB to hash them."""
    weights = _weights(model_dir)
    stat = weights.stat()
    key = f"{weights.resolve()}\n{stat.st_size}\n{stat.st_mtime_ns}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir / f"{model_dir.name}-{digest}" / f"model-{variant}.onnx"


def ensure_onnx(model_dir: Path, cache_dir: Path, variant: Variant) -> Path:
    """The ONNX file for the model and variant, exported and checked first if missing."""
    check_supported(model_dir)
    target = onnx_path(model_dir, cache_dir, variant)
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.parent / ".export.lock")):
        if not target.is_file():
            _export(model_dir, target, variant)
    return target


def _export(model_dir: Path, target: Path, variant: Variant) -> None:
    """Trace the transformer to ONNX (and quantize its weights for int8), check it, publish."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    class _Encoder(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager",
                                      local_files_only=True).eval()
    sample = OnnxTokenizer(model_dir).batch(_PROBES[:2])
    with (tempfile.TemporaryDirectory(dir=target.parent) as work, warnings.catch_warnings(),
          _quiet_root_logger()):
        warnings.simplefilter("ignore")
        fp32 = Path(work) / "model-fp32.onnx"
        with torch.no_grad():
            torch.onnx.export(
                _Encoder(model), tuple(torch.from_numpy(sample[name]) for name in _INPUTS),
                str(fp32), input_names=list(_INPUTS), output_names=["last_hidden_state"],
                dynamic_axes={name: {0: "batch", 1: "tokens"}
                              for name in (*_INPUTS, "last_hidden_state")},
                opset_version=17, dynamo=False)
        built = fp32
        if variant == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            built = Path(work) / "model-int8.onnx"
            quantize_dynamic(str(fp32), str(built), weight_type=QuantType.QInt8, per_channel=True)
        reference = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        expected = reference.encode(_PROBES, normalize_embeddings=True, convert_to_numpy=True)
        cosine = float((OnnxEncoder(model_dir, built).encode(_PROBES) * expected).sum(1).min())
        if cosine < _MIN_COSINE[variant]:
            raise ExportError(f"The {variant} ONNX export of {model_dir} reaches cosine "
                              f"{cosine:.4f} against the model (needs {_MIN_COSINE[variant]})")
        os.replace(built, target)


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """onnxruntime's quantizer logs advice on the root logger; keep it out of the output."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


class OnnxTokenizer:
    """The model's fast tokenizer, truncating at the model's maximum sequence length."""

    def __init__(self, model_dir: Path):
        from tokenizers import Tokenizer

        config = model_dir / "sentence_bert_config.json"
        max_length = _read_json(config).get("max_seq_length", 256) if config.is_file() else 256
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(int(max_length))
        self._tokenizer.enable_padding()

    def batch(self, texts: list[str]) -> dict[str, np.ndarray]:
        encoded = self._tokenizer.encode_batch(texts)
        return {
            "input_ids": np.array([e.ids for e in encoded], dtype="int64"),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype="int64"),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype="int64"),
        }


class OnnxEncoder:
    """Mean-pooled, unit-length sentence vectors from an exported model on ONNX Runtime."""

    def __init__(self, model_dir: Path, model_file: Path):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(model_file), options,
                                                     providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = OnnxTokenizer(model_dir)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Vectors in input order; texts are batched by length so padding stays small."""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: np.ndarray | None = None
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            feed = self._tokenizer.batch([texts[i] for i in rows])
            hidden = self._session.run(
                None, {k: v for k, v in feed.items() if k in self._inputs})[0]
            mask = feed["attention_mask"][..., None].astype("float32")
            pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
            if out is None:
                out = np.zeros((len(texts), pooled.shape[1]), dtype="float32")
            out[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out if out is not None else np.zeros((0, 0), dtype="float32")
