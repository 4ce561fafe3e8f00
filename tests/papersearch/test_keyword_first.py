"""Papers added keyword-first are found by words at once and by meaning once embedded."""

from papersearch import IndexConfig, SearchIndex

from .conftest import corpus, make_paper


def ids(results) -> list[str]:
    return [h.id for h in results.hits]


def test_keyword_first_then_embedded(index_path, embedder) -> None:
    index = SearchIndex.open(index_path, embedder, IndexConfig(tail_rows=50))
    index.add(corpus(100))
    embedder.embedded.clear()
    late = make_paper(500, title="Photonic crystal waveguides", abstract="Light in lattices.")
    index.add([late, *corpus(200)[100:]], embed=False)
    assert embedder.embedded == []  # nothing embedded
    assert index.stats().unembedded == 101
    assert index.counts() == (201, 101)  # the same, without walking the index's files
    assert ids(index.search("photonic", mode="lexical")) == ["2501.00500"]
    assert ids(index.search("photonic", mode="hybrid"))[0] == "2501.00500"
    assert "2501.00500" not in ids(index.search("photonic crystal", mode="dense", limit=300))
    assert index.similar("2501.00500") == []
    assert set(index.unembedded_ids()) == {"2501.00500"} | {d.id for d in corpus(200)[100:]}

    index.add([late])  # now with its vector
    assert ids(index.search("photonic crystal waveguides", mode="dense", limit=1)) == ["2501.00500"]
    assert index.stats().unembedded == 100
    assert index.counts() == (201, 100)
    index.delete(["2501.00500"])
    assert index.counts() == (200, 100)
    reopened = SearchIndex.open(index_path, embedder)
    assert reopened.stats().unembedded == 100 and reopened.counts() == (200, 100)


def test_known_texts_keep_their_vectors(index_path, embedder) -> None:
    index = SearchIndex.open(index_path, embedder)
    docs = corpus(20)
    index.add(docs)
    index.add(docs, embed=False)  # same texts: the cache has their vectors
    assert index.stats().unembedded == 0


def test_keyword_first_rebuild(index_path, embedder) -> None:
    SearchIndex.open(index_path, embedder).add(corpus(10))
    embedder.embedded.clear()
    index = SearchIndex.rebuild(index_path, corpus(30), embedder, embed=False)
    assert embedder.embedded == []
    assert index.stats().unembedded == 20
    assert len(index.search("quantum", mode="dense", limit=100).hits) <= 10
    assert "2501.00025" in ids(index.search("study 25", mode="lexical"))
