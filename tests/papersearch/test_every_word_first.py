"""Hybrid's keyword half asks for the papers holding every word first: when they fill its
pool it keeps them (scored as the union scores them), and only when they do not does it
score every paper holding any word."""

from __future__ import annotations

import numpy as np

from papersearch import Filters, IndexConfig, SearchIndex, ranking
from papersearch.query import parse

from .conftest import WordEmbedder, make_paper

BOTH = 12  # papers holding both words
POOL = 10


FILLER = " ".join(f"word{i}" for i in range(40))


def papers():
    # both words once each, in long texts
    both = [
        make_paper(n, title=f"Study {n}", abstract=f"{FILLER} sparse {FILLER} attention.")
        for n in range(1, BOTH + 1)
    ]
    # the rarer word only, many times over in a short text: the union ranks it first
    one = make_paper(100, title="Sparse sparse sparse", abstract="Sparse sparse.")
    # the commoner word alone
    common = [make_paper(n, title=f"Attention {n}", abstract="Attention.") for n in range(200, 240)]
    return [*both, one, *common]


def open_index(index_path, **config) -> SearchIndex:
    index = SearchIndex.open(index_path, WordEmbedder(), IndexConfig(pool=POOL, **config))
    index.add(papers())
    return index


def ids(index: SearchIndex, rows) -> list[str]:
    return [index.generation.ids[int(r)].decode() for r in rows]


def test_the_papers_holding_every_word_fill_the_pool(index_path) -> None:
    index = open_index(index_path)
    gen, parsed = index.generation, parse("sparse attention")
    (rows, _), _ = ranking.lexical(gen, parsed, Filters(), POOL, count=False)
    (union_rows, union_scores), _ = ranking.lexical(gen, parsed, Filters(), 60)
    union = dict(zip(ids(index, union_rows), union_scores.tolist(), strict=True))
    assert ids(index, union_rows)[0] == "2501.00100"  # the union's best holds one word

    (first, first_scores), _ = ranking.lexical(
        gen, parsed, Filters(), POOL, count=False, every_word_first=True
    )
    found = ids(index, first)
    assert len(found) == POOL and "2501.00100" not in found
    assert all(int(f[-5:]) <= BOTH for f in found)  # each holds both words
    # scored exactly as the union scores them, in the same order
    np.testing.assert_allclose(first_scores, [union[f] for f in found], rtol=1e-6)
    assert list(first_scores) == sorted(first_scores, reverse=True)
    assert len(rows) == POOL  # without the rule: the union's top


def test_too_few_papers_with_every_word_fall_back_to_all_matches(index_path) -> None:
    index = open_index(index_path)
    gen = index.generation
    # "study 3": only paper 3 holds every word, so the pool is the union's
    (rows, _), _ = ranking.lexical(
        gen, parse("sparse study 3"), Filters(), POOL, count=False, every_word_first=True
    )
    (union, _), _ = ranking.lexical(gen, parse("sparse study 3"), Filters(), POOL)
    assert rows.tolist() == union.tolist()
    # a word of one token is left as it is; a count asks for every match
    one_word = ranking.lexical(
        gen, parse("sparse"), Filters(), POOL, count=False, every_word_first=True
    )
    assert ids(index, one_word[0][0])[0] == "2501.00100"
    counted = ranking.lexical(
        gen, parse("sparse attention"), Filters(), POOL, every_word_first=True
    )
    assert counted[1] == BOTH + 41 and ids(index, counted[0][0])[0] == "2501.00100"


def test_hybrid_uses_it_unless_turned_off(index_path, tmp_path, monkeypatch) -> None:
    asked: list[bool] = []
    plain_lexical = ranking.lexical

    def spy(*args, **kwargs):
        asked.append(kwargs.get("every_word_first", False))
        return plain_lexical(*args, **kwargs)

    monkeypatch.setattr(ranking, "lexical", spy)
    on = open_index(index_path)
    off = open_index(tmp_path / "off", conjunction_first=False)
    on.search("sparse attention", mode="hybrid", limit=POOL)
    off.search("sparse attention", mode="hybrid", limit=POOL)
    on.search("sparse attention", Filters(categories=("cs.LG",)), mode="hybrid", limit=POOL)
    assert asked == [True, False, False]  # filtered: counted exactly, so every match
    # the lexical mode counts its matches, so it ranks every match as before
    assert on.search("sparse attention", mode="lexical", limit=1).hits[0].id == "2501.00100"
