"""A pasted title or sentence finds its paper first, whatever the vectors say."""

from __future__ import annotations

import numpy as np

from papersearch import IndexConfig, SearchIndex, ranking
from papersearch.query import parse

from .conftest import make_paper

SENTENCE = "we bound the regret of greedy exploration in linear bandits"


class Opposite:
    """Vectors that send the dense side to the wrong paper: every text embeds to one of two
    fixed directions, and the pasted sentence embeds next to the other paper."""

    model_name = "test-opposite"
    dim = 384

    def __init__(self, near: str) -> None:
        self.near = near

    def _one(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        vector[0 if self.near in text else 1] = 1.0
        return vector

    def embed(self, texts):
        return np.stack([self._one(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        vector[0] = 1.0
        return vector


def papers():
    target = make_paper(
        1, title="Exploration in bandits", abstract=f"Intro. {SENTENCE.capitalize()}. More."
    )
    # Decoys share every word of the sentence, but never in its order.
    decoys = [
        make_paper(
            n,
            title=f"Linear greedy bandits {n}",
            abstract="Exploration of the regret: in linear bandits we bound greedy decoys.",
        )
        for n in range(2, 40)
    ]
    return [target, *decoys]


def test_pasted_sentence_puts_its_paper_first(index_path) -> None:
    index = SearchIndex.open(index_path, Opposite(near="decoys"))
    index.add(papers())
    hits = index.search(SENTENCE, mode="hybrid", limit=5).hits
    assert hits[0].id == "2501.00001"


def test_without_the_verbatim_rule_fusion_alone_may_lose_it(index_path) -> None:
    # The same search with the rule switched off: the dense side's pull wins, which is
    # what the rule is there to prevent.
    config = IndexConfig(verbatim_depth=0, strong_margin=0.0)
    index = SearchIndex.open(index_path, Opposite(near="decoys"), config)
    index.add(papers())
    hits = index.search(SENTENCE, mode="hybrid", limit=5).hits
    assert hits[0].id != "2501.00001"


def test_short_queries_are_left_to_fusion(index_path) -> None:
    index = SearchIndex.open(index_path, Opposite(near="decoys"))
    index.add(papers())
    top = np.arange(5, dtype=np.int64)
    assert (
        ranking.verbatim(index.generation, parse("greedy exploration"), top, index.config).size == 0
    )
    assert ranking.verbatim(index.generation, parse(SENTENCE), top, index.config).tolist() == [0]
