"""Small corpora and a deterministic stand-in for the embedding model."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from papersearch import Document, IndexConfig, SearchIndex

DIM = 384


class WordEmbedder:
    """Bag-of-words vectors: texts sharing words get similar vectors. Counts its calls."""

    model_name = "test-words"
    dim = DIM

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
        return np.random.default_rng(seed).normal(size=DIM).astype(np.float32)

    def _one(self, text: str) -> np.ndarray:
        words = re.findall(r"\w+", text.lower()) or ["empty"]
        vector = np.sum([self._word(w) for w in words], axis=0)
        return vector / np.linalg.norm(vector)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return np.stack([self._one(t) for t in texts]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._one(text).astype(np.float32)


def make_paper(n: int, **overrides: object) -> Document:
    fields: dict[str, object] = {
        "id": f"2501.{n:05d}",
        "title": f"Paper number {n}",
        "abstract": "We report results on a benchmark.",
        "authors": ("Ada Lovelace",),
        "categories": ("cs.LG",),
        "date": dt.date(2025, 1, 1) + dt.timedelta(days=n % 365),
        "has_code": False,
    }
    fields.update(overrides)
    return Document(**fields)  # type: ignore[arg-type]


TOPICS = [
    "graph neural networks for molecule property prediction",
    "diffusion models for image synthesis",
    "large language model reasoning with chain of thought",
    "dark matter halos in galaxy clusters",
    "quantum error correction with surface codes",
    "reinforcement learning for robot manipulation",
]


def corpus(n: int) -> list[Document]:
    docs = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        docs.append(
            make_paper(
                i,
                title=f"{topic.capitalize()} study {i}",
                abstract=f"We study {topic}. Variant {i} improves on earlier work.",
                categories=("cs.LG",) if i % 2 else ("cs.CV", "stat.ML"),
                has_code=i % 10 == 0,
                authors=("Grace Hopper", "Alan Turing") if i % 7 == 0 else ("Ada Lovelace",),
            )
        )
    return docs


@pytest.fixture
def embedder() -> WordEmbedder:
    return WordEmbedder()


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def small_index(index_path: Path, embedder: WordEmbedder) -> SearchIndex:
    """600 papers; a graph over most of them and a tail outside it."""
    index = SearchIndex.open(index_path, embedder, IndexConfig(tail_rows=100))
    index.add(corpus(500))
    index.add(corpus(600)[500:])
    return index


@pytest.fixture(scope="session")
def query_encoder_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the query encoder's exported graph, shared by the tests that use the
    real model (so it is exported once a run)."""
    return tmp_path_factory.mktemp("query-encoder")
