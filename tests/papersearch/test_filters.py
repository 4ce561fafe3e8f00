"""Filters act inside the search: a filtered query still fills its page."""

import datetime as dt

import pytest

from papersearch import Filters, IndexConfig, SearchIndex, Sort

from .conftest import corpus


@pytest.fixture
def big_index(index_path, embedder) -> SearchIndex:
    # 3000 papers, all about the same six topics; a graph over 2,900 of them
    index = SearchIndex.open(index_path, embedder, IndexConfig(tail_rows=100))
    docs = corpus(3000)
    index.add(docs[:2900])
    index.add(docs[2900:])
    return index


@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid"])
def test_rare_filter_still_fills_the_page(big_index, mode) -> None:
    # has_code on every tenth paper, cs.LG on odd ones: the two never meet...
    assert big_index.search("graph", Filters(categories=("cs.LG",), has_code=True)).hits == []
    # ...and cs.CV with code is 1 in 10 of the matches: 50 of them are graph papers
    filters = Filters(categories=("cs.CV",), has_code=True)
    results = big_index.search("graph neural networks", filters, mode=mode, limit=20)
    assert len(results.hits) == 20
    for hit in results.hits:
        n = int(hit.id.split(".")[1])
        assert n % 10 == 0


@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid"])
def test_date_range_is_inclusive(big_index, mode) -> None:
    day = dt.date(2025, 3, 1)
    results = big_index.search(
        "reasoning", Filters(date_from=day, date_to=day), mode=mode, limit=100
    )
    assert results.hits
    offset = (day - dt.date(2025, 1, 1)).days
    assert all(int(h.id.split(".")[1]) % 365 == offset for h in results.hits)


def test_pages_do_not_overlap(big_index) -> None:
    first = big_index.search("robot manipulation", limit=10, mode="hybrid")
    second = big_index.search("robot manipulation", limit=10, offset=10, mode="hybrid")
    assert len(second.hits) == 10
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}


def test_browse_without_query_sorts_by_date(big_index) -> None:
    results = big_index.search("", Filters(has_code=True), limit=5)
    assert results.total == 300
    dates = [int(h.score) for h in results.hits]
    assert dates == sorted(dates, reverse=True)


def test_sort_by_date_reorders_the_relevance_pool(big_index) -> None:
    relevant = big_index.search("galaxy", mode="lexical", limit=1000)
    newest = big_index.search("galaxy", sort="date", mode="lexical", limit=10)
    assert {h.id for h in newest.hits} <= {h.id for h in relevant.hits}
    dated = [
        int(big_index.generation.columns.date[r])
        for r in big_index.generation.rows_of([h.id for h in newest.hits]).tolist()
    ]
    assert dated == sorted(dated, reverse=True)


def test_votes_are_not_the_core_s_to_sort_by() -> None:
    # The catalogue orders the relevance pool by votes (dailypapers.search.services).
    with pytest.raises(ValueError):
        Sort("votes")


def test_hybrid_totals_estimate_plain_queries_and_count_filtered_ones(small_index) -> None:
    lexical = small_index.search("diffusion", mode="lexical", limit=5)
    hybrid = small_index.search("diffusion", mode="hybrid", limit=5)
    assert lexical.total_exact and not hybrid.total_exact
    # one word: the estimate (its document frequency) is the number of its matches
    assert hybrid.total >= lexical.total > 5
    # with a filter the keyword matches are counted, not estimated from the whole index
    filters = Filters(has_code=True)
    everywhere = small_index.search("quantum", mode="hybrid", limit=5).total
    exact = small_index.search("quantum", filters, mode="lexical", limit=5).total
    assert 0 < exact < everywhere
    filtered = small_index.search("quantum", filters, mode="hybrid", limit=5).total
    assert exact <= filtered < everywhere
