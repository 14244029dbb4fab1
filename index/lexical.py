"""BM25 lexical index (bm25s, English stopwords, Snowball stemming), stored in ``bm25/``."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import Stemmer

if TYPE_CHECKING:
    import bm25s

BM25_DIR = "bm25"
BM25_K1 = 1.5
BM25_B = 0.75


def _bm25s() -> ModuleType:
    """bm25s, imported on first use: it pulls in scipy, which look-ups need not load."""
    import bm25s

    return bm25s


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    """The Snowball stem of one lower-cased word, as the index stores it."""
    return _stemmer().stemWord(word.lower())


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed tokens, the same for corpus and queries."""
    return _bm25s().tokenize(
        texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )


def term_counts(texts: list[str]) -> list[dict[str, int]]:
    """Each text's stemmed terms with how often they occur (what BM25 scores)."""
    return [dict(Counter(tokens)) for tokens in tokenize(texts)]


class LexicalIndex:
    """Okapi BM25 (Lucene's variant) over the chunks' embedding texts."""

    def __init__(self, retriever: bm25s.BM25, size: int):
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        retriever = _bm25s().BM25(k1=BM25_K1, b=BM25_B, method="lucene")
        if texts:
            retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, len(texts))

    def write(self, directory: Path) -> None:
        self._retriever.save(str(directory / BM25_DIR), show_progress=False)

    @classmethod
    def read(cls, directory: Path, size: int) -> LexicalIndex:
        retriever = _bm25s().BM25.load(str(directory / BM25_DIR), show_progress=False)
        return cls(retriever, size)

    def shape(self) -> tuple[list[int], int, int]:
        """Vocabulary ids (the padding token aside), documents indexed, and score columns."""
        matrix = getattr(self._retriever, "scores", None) or {"num_docs": 0, "indptr": [0]}
        vocabulary = getattr(self._retriever, "vocab_dict", None) or {}
        ids = [int(i) for token, i in vocabulary.items() if token != ""]
        return ids, int(matrix["num_docs"]), len(matrix["indptr"]) - 1

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for ``query`` (zeros when no query term is indexed)."""
        tokens = tokenize([query])[0]
        if not tokens or self.size == 0:
            return np.zeros(self.size, dtype="float32")
        return np.asarray(self._retriever.get_scores(tokens), dtype="float32")
