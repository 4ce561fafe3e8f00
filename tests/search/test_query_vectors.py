"""A query embedded by one process is not embedded again by another: its vector is kept in
Django's cache (the file cache here, Redis on PostgreSQL runs), and searches with it rank as
with a freshly computed one."""

from __future__ import annotations

import numpy as np
import pytest

from dailypapers.search.holder import HOLDER, IndexHolder
from dailypapers.search.queryvectors import SharedQueryVectors
from tests.papersearch.conftest import WordEmbedder

pytestmark = pytest.mark.django_db


class CountingEmbedder(WordEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return super().embed_query(text)


@pytest.fixture
def shared(settings, fresh_cache):
    settings.QUERY_VECTOR_SECONDS = 60


def test_a_second_process_takes_the_vector_from_the_cache(shared):
    first, second = CountingEmbedder(), CountingEmbedder()
    one, other = SharedQueryVectors(first), SharedQueryVectors(second)
    vector = one.embed_query("diffusion models for proteins")
    again = other.embed_query("diffusion models for proteins")
    assert first.queries == ["diffusion models for proteins"] and second.queries == []
    np.testing.assert_array_equal(vector, again)
    assert again.dtype == np.float32 and again.shape == (first.dim,)
    other.embed_query("diffusion models for proteins")  # this process's own copy now
    other.embed_query("Diffusion models for proteins")  # another text, another vector
    assert second.queries == ["Diffusion models for proteins"]


def test_a_vector_of_another_precision_is_not_taken(shared):
    """After the query precision changes, a vector kept by the other precision is computed
    again, not reused."""
    int8, float32 = CountingEmbedder(), CountingEmbedder()
    int8.query_precision, float32.query_precision = "int8", "float32"  # type: ignore[attr-defined]
    SharedQueryVectors(int8).embed_query("surface codes")
    SharedQueryVectors(float32).embed_query("surface codes")
    assert float32.queries == ["surface codes"]
    plain = CountingEmbedder()  # a model without precisions has vectors of its own
    SharedQueryVectors(plain).embed_query("surface codes")
    assert plain.queries == ["surface codes"]


def test_texts_any_cache_key_could_not_hold_are_kept_too(shared):
    model = CountingEmbedder()
    vectors = SharedQueryVectors(model)
    for text in ["x" * 5000, "nul \x00 byte", "lone surrogate \ud800", "über $H_0$ 東京", ""]:
        vectors.embed_query(text)
        SharedQueryVectors(CountingEmbedder()).embed_query(text)  # found, not computed
    assert len(model.queries) == 5


def test_a_damaged_entry_is_computed_again(shared):
    from django.core.cache import cache

    model = CountingEmbedder()
    vectors = SharedQueryVectors(model)
    cache.set(vectors.key("graphs"), b"not a vector")
    np.testing.assert_allclose(vectors.embed_query("graphs"), model.embed_query("graphs"))


def test_the_holder_shares_query_vectors_unless_turned_off(search_settings, shared):
    holder = IndexHolder()
    assert isinstance(holder.embedder(), SharedQueryVectors)
    search_settings.QUERY_VECTOR_SECONDS = 0
    holder.forget()
    assert isinstance(holder.embedder(), WordEmbedder)
    HOLDER.forget()


def test_a_search_with_a_kept_vector_ranks_as_a_fresh_one(shared, indexed, client):
    assert isinstance(HOLDER.embedder(), SharedQueryVectors)
    fresh = client.get("/api/papers/search", {"q": "graph neural molecules"}).json()
    HOLDER.forget()  # a new process: nothing in its memory, the vector in the shared cache
    kept = client.get("/api/papers/search", {"q": "graph neural molecules"}).json()
    assert [p["paper"]["id"] for p in kept] == [p["paper"]["id"] for p in fresh]
    assert fresh
