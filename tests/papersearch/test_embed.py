"""The real model, on a handful of texts."""

import gzip
import json

import numpy as np
import pytest

from papersearch.backfill import backfill
from papersearch.embed import MiniLMEmbedder, plain_encode

TEXTS = [
    "Attention is all you need. We propose a new architecture based on attention.",
    "Dark matter halos. We simulate galaxy clusters.",
    "Surface codes. Quantum error correction with a lattice of qubits and stabilizers.",
    "Short.",
]


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


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


def test_query_path_is_the_packed_model_and_agrees_with_plain_encode(embedder) -> None:
    queries = ["memory-efficient optimizers", "x", "reward model overoptimization " * 80]
    vectors = np.stack([embedder.embed_query(q) for q in queries])
    assert embedder._query_model is not None  # the fast path was made and passed its check
    plain = plain_encode(embedder.model, queries)
    assert (vectors * plain).sum(axis=1).min() >= 0.999


def test_backfill_cpu_fallback_on_a_tiny_snapshot(tmp_path, embedder) -> None:
    snapshot = tmp_path / "snap.jsonl.gz"
    with gzip.open(snapshot, "wt", encoding="utf-8") as f:
        for i, text in enumerate(TEXTS):
            title, _, abstract = text.partition(". ")
            f.write(json.dumps({"id": f"2501.{i:05d}", "title": title, "abstract": abstract}))
            f.write("\n")
    n = backfill(snapshot, tmp_path / "out", device="cpu", workers=2, batch_size=2, block_size=3)
    assert n == 4
    vectors = np.load(tmp_path / "out.npy").astype(np.float32)
    ids = (tmp_path / "out.ids").read_text().split()
    assert ids == [f"2501.{i:05d}" for i in range(4)]
    expected = plain_encode(embedder.model, [t if ". " in t else t + ". " for t in TEXTS])
    assert (vectors * expected).sum(axis=1).min() >= 0.99


def test_query_path_falls_back_to_the_float32_model_when_it_disagrees(monkeypatch) -> None:
    from papersearch import embed

    monkeypatch.setattr(embed, "QUERY_AGREEMENT", 1.01)  # no model can pass this check
    strict = MiniLMEmbedder()
    vector = strict.embed_query("memory-efficient optimizers")
    assert strict._query_model is None
    plain = plain_encode(strict.model, ["memory-efficient optimizers"])[0]
    assert float(vector @ plain) >= 0.9999


def test_query_path_from_many_threads_at_once(embedder) -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"topic {i} " * (1 + i % 40) for i in range(64)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        vectors = np.stack(list(pool.map(embedder._encode_one, texts)))
    expected = plain_encode(embedder.model, texts)
    assert (vectors * expected).sum(axis=1).min() >= 0.999
