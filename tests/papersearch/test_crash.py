"""A write that dies half-way leaves the previous index usable."""

import pytest

from papersearch import SearchIndex, storage
from papersearch.lexical import LexicalIndex

from .conftest import corpus, make_paper


class Crash(Exception):
    pass


def crash(*_args, **_kwargs):
    raise Crash


def ids(results) -> list[str]:
    return [h.id for h in results.hits]


@pytest.mark.parametrize("where", ["write_manifest", "save_arrays", "append_rows"])
def test_crash_during_add(small_index, index_path, embedder, monkeypatch, where) -> None:
    before = ids(small_index.search("quantum error correction", limit=30))
    new = make_paper(9999, title="Quantum error correction with cat qubits")
    with monkeypatch.context() as patch:
        patch.setattr(storage, where, crash)
        with pytest.raises(Crash):
            small_index.add([new, make_paper(1, title="Replaced title")])
    for index in (small_index, SearchIndex.open(index_path, embedder)):
        assert len(index) == 600
        assert "2501.09999" not in index
        assert ids(index.search("quantum error correction", limit=30)) == before
        assert ids(index.search("cat qubits", mode="lexical")) == []
        assert ids(index.search("replaced", mode="lexical")) == []
    # the next write goes through and the leftovers are gone
    small_index.add([new])
    assert ids(small_index.search("cat qubits", mode="lexical")) == ["2501.09999"]
    assert small_index.search("cat qubits", mode="lexical").total == 1


def test_crash_during_delete(small_index, index_path, embedder, monkeypatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(storage, "write_manifest", crash)
        with pytest.raises(Crash):
            small_index.delete(["2501.00004"])
    assert "2501.00004" in SearchIndex.open(index_path, embedder)
    assert "2501.00004" in small_index


def test_crash_after_manifest_before_lexical_delete(
    small_index, index_path, embedder, monkeypatch
) -> None:
    """The manifest retired the row; tantivy still has it: results skip it, pages stay full."""
    with monkeypatch.context() as patch:
        patch.setattr(LexicalIndex, "delete_rows", crash)
        with pytest.raises(Crash):
            small_index.delete(["2501.00004"])
    index = SearchIndex.open(index_path, embedder)
    assert "2501.00004" not in index
    results = index.search("quantum", mode="lexical", limit=100)
    assert "2501.00004" not in ids(results)
    assert len(results.hits) == 99 == results.total


def test_crash_during_rebuild(small_index, index_path, embedder, monkeypatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(storage, "write_manifest", crash)
        with pytest.raises(Crash):
            SearchIndex.rebuild(index_path, corpus(50), embedder)
    index = SearchIndex.open(index_path, embedder)
    assert len(index) == 600
    assert index.search("galaxy clusters", mode="hybrid").hits
    assert len(SearchIndex.rebuild(index_path, corpus(50), embedder)) == 50
