"""The peer: llama-index's default pipeline over the same files with the same embedding model."""

from __future__ import annotations

import os
import time
from pathlib import Path, PurePosixPath

from ingest.corpus import study_of


class LlamaIndexPeer:
    """SimpleDirectoryReader + VectorStoreIndex (default node parser), no LLM."""

    def __init__(self, content: Path, model_path: str):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        started = time.perf_counter()
        Settings.llm = None
        Settings.embed_model = HuggingFaceEmbedding(model_name=model_path, device="cpu")
        self.model_seconds = time.perf_counter() - started
        started = time.perf_counter()
        docs = SimpleDirectoryReader(str(content), recursive=True, required_exts=[".md"]).load_data()
        self.index = VectorStoreIndex.from_documents(docs)
        self.build_seconds = time.perf_counter() - started
        self.content = content.resolve()
        self.nodes = len(self.index.docstore.docs)

    def ranked_studies(self, question: str, top_k: int = 50) -> list[str]:
        """Study ids in the order their best node ranks."""
        seen: list[str] = []
        for hit in self.index.as_retriever(similarity_top_k=top_k).retrieve(question):
            path = Path(hit.node.metadata["file_path"]).resolve().relative_to(self.content)
            study = study_of(PurePosixPath(path.as_posix()))
            if study not in seen:
                seen.append(study)
        return seen
