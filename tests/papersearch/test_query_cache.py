"""Recent query vectors are remembered: paging or repeating a query embeds it once."""

import numpy as np

from papersearch import MiniLMEmbedder


def test_recent_queries_are_not_embedded_again(monkeypatch) -> None:
    embedder = MiniLMEmbedder(query_cache=2)
    calls: list[str] = []

    def fake_encode(text):
        calls.append(text)
        return np.ones(384, np.float32) / np.sqrt(384)

    monkeypatch.setattr(embedder, "_encode_one", fake_encode)
    first = embedder.embed_query("graph neural networks")
    assert embedder.embed_query("graph neural networks") is first
    embedder.embed_query("b")
    embedder.embed_query("c")  # pushes the first out
    embedder.embed_query("graph neural networks")
    assert calls == ["graph neural networks", "b", "c", "graph neural networks"]
    assert not first.flags.writeable
