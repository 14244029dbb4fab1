"""Opening the configured index: the embedder, the store backend and the fused ``Index``.

Kept apart from ``api/services.py`` (which also builds indexes) so that a command that only
reads an index never imports the ingest pipeline.
"""

from __future__ import annotations

from index.embedder import Embedder, load_embedder
from index.relevance import WeakBelow
from index.settings import Settings
from index.store import Index
from index.stores import Backend, Store, open_backend


def embedder_for(settings: Settings) -> Embedder:
    return load_embedder(settings.model_path, settings.model_name, settings.embed_batch_size,
                         settings.query_cache_size, settings.embed_backend,
                         settings.model_cache_dir)


def index_over(settings: Settings, store: Store, keyword_only: bool = False) -> Index:
    """An ``Index`` over ``store`` with the configured fusion and weak-match thresholds."""
    weak = WeakBelow(settings.weak_cosine, settings.weak_keyword_share,
                      settings.weak_keyword_weight)
    return Index(store, embedder_for(settings), settings.hybrid_dense_weight, settings.rrf_k,
                 settings.fusion_pool, weak, keyword_only)


def load_index(settings: Settings, backend: Backend | None = None,
               search: bool = True) -> Index:
    """The active version of the configured index (``search=False``: for look-ups only)."""
    return index_over(settings, (backend or open_backend(settings)).open(search))
