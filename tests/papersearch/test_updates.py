"""Incremental add, update, delete and reopening."""

import json
from dataclasses import replace

import numpy as np
import pytest

from papersearch import Filters, IndexConfig, SearchIndex
from papersearch.storage import FORMAT_VERSION, IndexFormatError

from .conftest import corpus, make_paper


def ids(results) -> list[str]:
    return [h.id for h in results.hits]


def test_add_then_reopen(small_index, index_path, embedder) -> None:
    reopened = SearchIndex.open(index_path, embedder)
    assert len(reopened) == 600
    query = "quantum error correction"
    assert ids(reopened.search(query)) == ids(small_index.search(query))
    assert reopened.stats().ann_rows == 500 and reopened.stats().tail_rows == 100


def test_update_replaces_text(small_index) -> None:
    old = small_index.search("2501 dark matter halos study 3", mode="lexical")
    assert "2501.00003" in ids(old)
    small_index.add([make_paper(3, title="Photonic crystals", abstract="Light in lattices.")])
    assert len(small_index) == 600
    assert ids(small_index.search("photonic", mode="lexical")) == ["2501.00003"]
    assert ids(small_index.search("photonic", mode="dense", limit=1)) == ["2501.00003"]
    assert "2501.00003" not in ids(small_index.search("halos study 3", mode="lexical", limit=200))


def test_delete_removes_from_every_mode(small_index, index_path, embedder) -> None:
    assert small_index.delete(["2501.00004", "missing"]) == 1
    for mode in ("lexical", "dense", "hybrid"):
        assert "2501.00004" not in ids(small_index.search("quantum 4", mode=mode, limit=200))
    assert "2501.00004" not in small_index
    assert "2501.00004" not in SearchIndex.open(index_path, embedder)
    assert small_index.delete(["2501.00004"]) == 0
    assert len(small_index) == 599


def test_live_count_follows_retired_rows(small_index) -> None:
    # Searches read the count of live rows (kept, not recounted per query).
    columns = small_index.generation.columns.copy()
    assert columns.live == 600 and columns.mask(Filters()) is None
    columns.retire([3, 4])
    assert columns.live == 598
    mask = columns.mask(Filters(), dense=True)
    assert mask is not None and not mask[3] and int(mask.sum()) == 598


def test_unchanged_texts_are_not_embedded_again(index_path, embedder) -> None:
    index = SearchIndex.open(index_path, embedder)
    docs = corpus(20)
    index.add(docs)
    assert len(embedder.embedded) == 20
    index.add([replace(docs[0], categories=("math.CO",)), replace(docs[1], title="New")])
    assert len(embedder.embedded) == 21
    rebuilt = SearchIndex.rebuild(index_path, docs, embedder)
    assert len(embedder.embedded) == 21
    assert len(rebuilt) == 20


def test_rebuild_reports_progress(small_index, index_path, embedder) -> None:
    seen: list[tuple[str, int, int]] = []
    rebuilt = SearchIndex.rebuild(
        index_path, corpus(300), embedder, progress=lambda *a: seen.append(a), batch=100
    )
    assert ("documents", 300, 300) in [(p, d, 300) for p, d, _ in seen]
    assert seen[-1] == ("graph", 300, 300)
    assert len(rebuilt) == 300 and rebuilt.stats().tail_rows == 0
    # only the new state's files remain
    names = {p.name for p in index_path.iterdir()}
    assert names == {*rebuilt.generation.manifest.referenced(), "manifest.json", ".lock"}


def test_given_vectors_skip_the_embedder(index_path, embedder) -> None:
    index = SearchIndex.open(index_path, embedder, IndexConfig(tail_rows=5))
    vectors = np.eye(10, 384, dtype=np.float32)
    index.add(corpus(10), vectors)
    assert embedder.embedded == []
    assert np.allclose(index.vector("2501.00003"), vectors[3], atol=1e-3)


def test_similar_uses_the_papers_own_vector(small_index) -> None:
    hits = small_index.similar("2501.00002", k=5)
    assert len(hits) == 5
    assert "2501.00002" not in [h.id for h in hits]
    # same topic (every sixth paper) comes first
    assert all(int(h.id.split(".")[1]) % 6 == 2 for h in hits)


def test_refresh_sees_another_writer(small_index, index_path, embedder) -> None:
    other = SearchIndex.open(index_path, embedder)
    other.delete(["2501.00010"])
    assert "2501.00010" in small_index
    assert small_index.refresh()
    assert "2501.00010" not in small_index


def test_an_index_in_an_older_format_is_refused_then_rebuilt_with_its_vectors(
    index_path, embedder
) -> None:
    docs = corpus(30)
    SearchIndex.open(index_path, embedder).add(docs)
    manifest_path = index_path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "format": 1}))
    with pytest.raises(IndexFormatError, match=r"format 1.*dailypapers index --rebuild"):
        SearchIndex.open(index_path, embedder)
    embedded = len(embedder.embedded)
    rebuilt = SearchIndex.rebuild(index_path, [*docs, make_paper(99, title="A new one")], embedder)
    assert len(embedder.embedded) == embedded + 1  # only the new paper's text
    assert len(rebuilt) == 31 and rebuilt.stats().unembedded == 0
    assert json.loads(manifest_path.read_text())["format"] == FORMAT_VERSION
    assert SearchIndex.open(index_path, embedder).search("new one", mode="lexical").hits


def test_prefetch_asks_for_every_file_of_the_current_generation(small_index, index_path) -> None:
    files = small_index.files()
    names = {p.name for p in files} | {p.parent.name for p in files}
    assert small_index.generation.manifest.referenced() <= names  # ann, vectors, lexical, ...
    assert any(p.suffix == ".usearch" for p in files)
    assert small_index.prefetch() == sum(p.stat().st_size for p in files) > 0
    small_index.add([make_paper(900)])  # a new generation: its files, not the old ones
    assert all(p.exists() for p in small_index.files())
