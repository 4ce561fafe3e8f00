"""The real model, on a handful of texts."""

import numpy as np
import pytest

from papersearch.embed import MiniLMEmbedder, plain_encode

TEXTS = [
    "Attention is all you need. We propose a new architecture based on attention.",
    "Dark matter halos. We simulate galaxy clusters.",
    "Surface codes. Quantum error correction with a lattice of qubits and stabilizers.",
    "Short.",
]


@pytest.fixture(scope="module")
def embedder(query_encoder_cache) -> MiniLMEmbedder:
    return MiniLMEmbedder(cache_dir=query_encoder_cache)


def test_fast_path_agrees_with_plain_encode(embedder) -> None:
    fast = embedder.embed(TEXTS)
    plain = plain_encode(embedder.model, TEXTS)
    assert fast.shape == (4, 384)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1, atol=1e-4)
    assert (fast * plain).sum(axis=1).min() >= 0.99


def test_query_vector_finds_its_topic(embedder) -> None:
    docs = embedder.embed(TEXTS)
    query = embedder.embed_query("transformer self-attention")
    assert int(np.argmax(docs @ query)) == 0


@pytest.mark.parametrize(("precision", "agreement"), [("int8", 0.97), ("float32", 0.9999)])
def test_query_path_is_the_query_encoder_and_agrees_with_plain_encode(
    embedder, query_encoder_cache, precision, agreement
) -> None:
    """The default query path is the int8 encoder: its vectors within 0.97 of the model's
    (float32 on request, within 0.9999)."""
    chosen = embedder if precision == "int8" else None
    chosen = chosen or MiniLMEmbedder(cache_dir=query_encoder_cache, query_precision=precision)
    assert chosen.query_precision == precision
    queries = ["memory-efficient optimizers", "x", "reward model overoptimization " * 80]
    vectors = np.stack([chosen.embed_query(q) for q in queries])
    assert chosen._query_model is not None  # the encoder was made and passed its check
    plain = plain_encode(embedder.model, queries)
    assert (vectors * plain).sum(axis=1).min() >= agreement


def test_an_unknown_query_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="query_precision must be one of"):
        MiniLMEmbedder(query_precision="int4")
