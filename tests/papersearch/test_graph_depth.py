"""The graph is searched as deep as its size needs: the depth measured for recall@10 >= 0.95
at each measured size (bench/graph_depth.py), growing with the logarithm of the size between
them, and applied to a graph when it is opened."""

from __future__ import annotations

from papersearch import IndexConfig, SearchIndex
from papersearch.dense import DEPTH_BY_SIZE, expansion_for

from .conftest import corpus


def test_depth_follows_the_measured_sizes():
    (small, shallow), (large, deep) = DEPTH_BY_SIZE
    assert shallow < deep
    assert expansion_for(10) == expansion_for(small) == shallow
    assert expansion_for(large) == expansion_for(10 * large) == deep
    between = [expansion_for(n) for n in (200_000, 500_000, 1_000_000, 2_000_000)]
    assert shallow < between[0] < between[1] < between[2] < between[3] < deep
    # halfway in the logarithm of the size, halfway in depth
    middle = round((small * large) ** 0.5)
    assert abs(expansion_for(middle) - (shallow + deep) / 2) <= 1


def test_an_opened_graph_searches_at_its_sizes_depth(index_path, embedder):
    config = IndexConfig(tail_rows=50)  # past 50 rows, they go into the graph
    SearchIndex.open(index_path, embedder, config).add(corpus(300))
    ann = SearchIndex.open(index_path, embedder, config).generation.dense.ann
    assert ann is not None and len(ann) >= 250
    assert ann.expansion_search == expansion_for(len(ann)) == DEPTH_BY_SIZE[0][1]
