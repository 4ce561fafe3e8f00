"""Weak matches and catch-up, with the real model: made-up words find nothing, and while few
papers have their vectors the meaning side weighs only that share and a typed title still
finds its paper first."""

from __future__ import annotations

import pytest

from papersearch import Document, IndexConfig, SearchIndex
from papersearch.embed import MiniLMEmbedder

from .conftest import make_paper

SUBJECTS = [
    ("Surface codes", "quantum error correction with a lattice of physical qubits"),
    ("Graph neural networks", "molecule property prediction from atoms and bonds"),
    ("Diffusion models", "image synthesis by denoising random noise step by step"),
    ("Dark matter halos", "galaxy clusters in cosmological simulations"),
    ("Language model reasoning", "chain of thought prompting for arithmetic problems"),
    ("Robot manipulation", "reinforcement learning of grasping policies"),
    ("Protein folding", "structure prediction from amino acid sequences"),
    ("Speech recognition", "end-to-end acoustic models for noisy audio"),
]
ANGLES = ["A study of", "Revisiting", "Scaling", "Benchmarks for", "Efficient", "Robust"]
TARGET = "Surface codes under biased noise"


def papers() -> list[Document]:
    docs = []
    n = 0
    for angle in ANGLES:
        for subject, about in SUBJECTS:
            for variant in range(2):
                title = f"{angle} {subject.lower()} for {about.split()[0]} ({variant})"
                docs.append(make_paper(n, title=title, abstract=f"We study {about}."))
                n += 1
    return docs  # 96 papers


@pytest.fixture(scope="module")
def minilm(query_encoder_cache) -> MiniLMEmbedder:
    return MiniLMEmbedder(cache_dir=query_encoder_cache)


@pytest.fixture(scope="module")
def partly_embedded(tmp_path_factory, minilm) -> SearchIndex:
    """100 papers of which 6 have their vectors (as after a bulk import, keyword-first); the
    paper titled ``TARGET`` is one of the 94 without."""
    index = SearchIndex.open(tmp_path_factory.mktemp("catch-up") / "index", minilm)
    docs = papers()
    target = make_paper(
        500,
        title=TARGET,
        abstract="Error correction thresholds of surface codes when noise is biased.",
    )
    extra = [make_paper(501 + i, title=f"Notes on topic {i}") for i in range(3)]
    embedded = [d for d in docs if "surface codes" in d.title.lower()][:6]
    index.add(embedded)
    index.add([d for d in [*docs, target, *extra] if d not in embedded], embed=False)
    return index


def test_share_embedded(partly_embedded) -> None:
    assert len(partly_embedded) == 100
    assert partly_embedded.stats().unembedded == 94
    assert partly_embedded.generation.columns.embedded_share == pytest.approx(0.06)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_made_up_words_find_nothing(partly_embedded, mode) -> None:
    for query in ("qwxz blorft vemp", "zzyzx", "plimb vorq snarfle"):
        results = partly_embedded.search(query, mode=mode)
        assert results.hits == [] and results.total == 0, (mode, query)


def test_real_words_still_find_papers_by_meaning(partly_embedded) -> None:
    """No query word occurs in the catalogue: every hit is by meaning, above the floor."""
    results = partly_embedded.search("stabilizer qubit decoding", mode="dense")
    assert results.hits
    assert all(h.score >= partly_embedded.dense_floor() == 0.40 for h in results.hits)


def test_exact_title_first_while_embedding_catches_up(partly_embedded) -> None:
    for query in (TARGET, TARGET.lower(), TARGET.upper() + "."):
        first = partly_embedded.search(query, mode="hybrid").hits[0]
        assert first.id == "2501.00500", query


def test_dense_hits_count_in_proportion_to_the_share_embedded(partly_embedded) -> None:
    """A paper found by meaning alone adds ``share / (k + rank)`` to its fused score: with
    6% of papers embedded, 0.06 of what it would add once every paper is."""
    config = partly_embedded.config
    query = "stabilizer qubit decoding"  # no word of it is in the catalogue
    dense = partly_embedded.search(query, mode="dense").hits
    hybrid = partly_embedded.search(query, mode="hybrid").hits
    assert [h.id for h in hybrid] == [h.id for h in dense]
    for rank, hit in enumerate(hybrid):
        assert hit.score == pytest.approx(0.06 / (config.rrf_k + rank + 1), rel=1e-4)
    full = SearchIndex(partly_embedded.path, partly_embedded.embedder)
    full.config = IndexConfig(catch_up=False)
    unscaled = full.search(query, mode="hybrid").hits
    assert unscaled[0].score == pytest.approx(1 / (config.rrf_k + 1), rel=1e-4)
