"""The real embedding model: normalized vectors, query cache, batched concurrent queries."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from index.embedder import QueryBatcher


def test_vectors_are_unit_length_and_queries_cached(embedder):
    vectors = embedder.encode(["consistent hashing ring", "geohash cells"])
    assert vectors.shape == (2, embedder.dimension)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    first = embedder.encode_query("How do brokers elect a leader?")
    assert embedder.encode_query("how do brokers  elect a leader?") is first


def test_concurrent_queries_are_encoded_together_with_the_same_result(embedder):
    batches: list[int] = []

    def encode(texts):
        batches.append(len(texts))
        return embedder.encode(texts)

    batcher = QueryBatcher(encode)
    texts = [f"question number {n} about partition leaders" for n in range(24)]
    with ThreadPoolExecutor(8) as pool:
        vectors = list(pool.map(batcher.submit, texts))
    expected = embedder.encode(texts)
    assert np.allclose(np.stack(vectors), expected, atol=1e-5)
    assert sum(batches) == 24 and max(batches) > 1


def test_a_failed_batch_reaches_every_caller():
    def broken(texts):
        raise RuntimeError("model gone")

    batcher = QueryBatcher(broken)
    try:
        batcher.submit("x")
    except RuntimeError as exc:
        assert "model gone" in str(exc)
    else:
        raise AssertionError("the failure was swallowed")


def test_a_failing_query_fails_alone_not_its_whole_batch(embedder):
    started = threading.Event()

    def encode(texts):
        if "slow" in texts:
            started.set()
            time.sleep(0.5)  # the next queries queue up meanwhile and go in one batch
        if any("poison" in t for t in texts):
            raise ValueError("tokenizer cannot take this text")
        return embedder.encode(texts)

    batcher = QueryBatcher(encode)
    texts = [f"partition leader question {n}" for n in range(6)] + ["poison pill"]
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(batcher.submit, "slow")
        started.wait(10)
        futures = [pool.submit(batcher.submit, t) for t in texts]
        first.result()
        with pytest.raises(ValueError, match="cannot take"):
            futures[-1].result()
        vectors = [f.result() for f in futures[:-1]]
    assert np.allclose(np.stack(vectors), embedder.encode(texts[:-1]), atol=1e-5)


def test_lone_surrogates_and_control_characters_are_scrubbed_before_the_model(embedder):
    vector = embedder.encode_query("consistent hashing \ud800 where\x00 now")
    assert vector.shape == (embedder.dimension,)
    assert np.allclose(vector, embedder.encode(["consistent hashing \ufffd where  now"])[0],
                       atol=1e-5)
