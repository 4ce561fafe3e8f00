"""The index follows the catalogue: new and changed papers, keyword-first, then vectors."""

import pytest

from dailypapers.catalog.models import Paper
from dailypapers.search import keeper
from dailypapers.search.holder import HOLDER

pytestmark = pytest.mark.django_db


def ids(results) -> list[str]:
    return [h.id for h in results.hits]


def test_new_papers_are_indexed_and_flags_cleared(add_papers):
    added = add_papers(10)
    assert Paper.objects.needing_index().count() == 10
    done = keeper.index_pending()
    assert (done.keyword_indexed, done.embedded, done.remaining) == (10, 10, 0)
    assert Paper.objects.needing_index().count() == 0
    index = HOLDER.index()
    assert len(index) == 10 and index.stats().unembedded == 0
    assert added[3] in ids(index.search("quantum error correction", mode="dense", limit=10))


def test_keywords_at_once_vectors_later(add_papers):
    add_papers(20)
    done = keeper.index_pending(embed_seconds=0)
    assert done.keyword_indexed == 20 and done.embedded == 0 and done.remaining == 20
    index = HOLDER.index()
    assert ids(index.search("surface codes", mode="lexical", limit=50))  # found by words
    assert ids(index.search("surface codes", mode="dense", limit=50)) == []
    assert ids(index.search("surface codes", mode="hybrid", limit=50))  # hybrid: words so far
    keeper.embed_pending(index)
    assert index.stats().unembedded == 0
    assert ids(index.search("surface codes", mode="dense", limit=5))


def test_changed_paper_is_taken_again(indexed, add_papers):
    paper = Paper.objects.get(arxiv_id=indexed[0])
    Paper.objects.filter(pk=paper.pk).update(title="Photonic crystal waveguides", needs_index=True)
    keeper.index_pending()
    index = HOLDER.index()
    assert ids(index.search("photonic", mode="lexical")) == [indexed[0]]
    assert len(index) == 12


def test_a_paper_changed_while_indexed_keeps_its_flag(add_papers):
    add_papers(2)
    paper = Paper.objects.order_by("pk").first()
    seen = [(paper.pk, paper.changed_at)]
    Paper.objects.filter(pk=paper.pk).update(changed_at=paper.changed_at.replace(year=2030))
    keeper._clear_flags(seen)
    assert Paper.objects.get(pk=paper.pk).needs_index


def test_a_paper_gone_from_the_catalogue_leaves_the_index(add_papers):
    gone, kept = add_papers(2)
    keeper.index_pending(embed_seconds=0)
    Paper.objects.filter(arxiv_id=gone).delete()
    keeper.embed_pending(HOLDER.index())
    index = HOLDER.index()
    assert gone not in index and kept in index


def test_papers_arriving_during_a_catch_up_are_taken_between_batches(add_papers, monkeypatch):
    add_papers(20)
    index = HOLDER.index()
    keeper.take_pending(index)
    real_add = index.add
    arrived: list[str] = []

    def add_and_ingest(docs, *args, **kwargs):
        real_add(docs, *args, **kwargs)
        if not arrived and kwargs.get("embed", True):  # after the first batch of vectors
            arrived.extend(add_papers(1, title="Photonic crystal waveguides"))

    monkeypatch.setattr(index, "add", add_and_ingest)
    embedded, remaining, taken = keeper.embed_pending(index)
    assert (embedded, remaining, taken) == (21, 0, 1)
    assert [h.id for h in index.search("photonic", mode="lexical").hits] == arrived


def test_web_processes_warm_search_up_as_they_start(search_settings, indexed) -> None:
    import threading

    from dailypapers.core.management.commands.serve import _warm_search

    HOLDER.forget()
    search_settings.SEARCH_WARM_UP = False
    _warm_search(None)
    assert not [t for t in threading.enumerate() if t.name == "search-warm-up"]
    search_settings.SEARCH_WARM_UP = True
    _warm_search(None)
    for thread in threading.enumerate():
        if thread.name == "search-warm-up":
            thread.join(timeout=30)
    assert HOLDER.is_warm
