"""Reader profiles and personal picks in the search core (``papersearch.profiles``,
``SearchIndex.recommend``), and the ``exclude`` filter every ranker honours."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from papersearch import Filters, Profile, RecommendConfig, SearchIndex, build_profiles
from papersearch.profiles import profile_count

from .conftest import TOPICS


def topic_of(paper_id: str) -> str:
    return TOPICS[int(paper_id.split(".")[1]) % len(TOPICS)]


def test_profile_count_grows_slowly_and_is_capped() -> None:
    assert profile_count(0, 12) == 0
    assert profile_count(1, 12) == 1
    assert profile_count(8, 12) == 2
    assert profile_count(200, 12) == 10
    assert profile_count(5000, 12) == 12


def test_a_library_of_two_interests_gets_two_profiles_not_one_mean(
    small_index: SearchIndex,
) -> None:
    graph = [f"2501.{n:05d}" for n in range(0, 60, 6)]  # graph neural networks
    quantum = [f"2501.{n:05d}" for n in range(4, 64, 6)]  # quantum error correction
    ids, vectors = small_index.vectors_of(graph + quantum)
    profiles = build_profiles(ids, vectors, most=2)
    assert len(profiles) == 2
    groups = sorted(sorted({topic_of(m) for m in p.members}) for p in profiles)
    assert groups == [[TOPICS[0]], [TOPICS[4]]]
    assert sum(p.weight for p in profiles) == pytest.approx(1.0)
    for p in profiles:
        assert np.linalg.norm(p.vector) == pytest.approx(1.0, abs=1e-5)


def test_profiles_are_deterministic_and_follow_weights(small_index: SearchIndex) -> None:
    ids, vectors = small_index.vectors_of([f"2501.{n:05d}" for n in range(0, 120)])
    first = build_profiles(ids, vectors, most=6)
    again = build_profiles(ids, vectors, most=6)
    assert [p.members for p in first] == [p.members for p in again]
    weights = [3.0 if topic_of(i) == TOPICS[3] else 1.0 for i in ids]
    heavy = build_profiles(ids, vectors, weights, most=6)
    assert topic_of(heavy[0].members[0]) == TOPICS[3]  # the heaviest interest comes first
    # zero weight leaves a paper out
    none = build_profiles(ids, vectors, [0.0] * len(ids))
    assert none == []


def test_recommend_with_the_library_given_reads_the_same_picks(small_index: SearchIndex) -> None:
    library = [f"2501.{n:05d}" for n in (0, 6, 12, 18, 4, 10, 16, 22)]
    ids, vectors = small_index.vectors_of(library)
    profiles = build_profiles(ids, vectors, most=2)
    plain = small_index.recommend(profiles, k=20)
    given = small_index.recommend(profiles, k=20, library=(ids, vectors))
    assert [(p.id, p.like, p.profile) for p in given] == [(p.id, p.like, p.profile) for p in plain]
    assert [p.score for p in given] == pytest.approx([p.score for p in plain])
    # a library that lacks some of the profiles' papers: they are read from the index
    partial = small_index.recommend(profiles, k=20, library=(ids[:3], vectors[:3]))
    assert [p.id for p in partial] == [p.id for p in plain]


def test_build_profiles_refuses_mismatched_input() -> None:
    with pytest.raises(ValueError):
        build_profiles(["a", "b"], np.zeros((3, 384), np.float32))


def test_recommend_serves_every_interest_and_explains_each_pick(
    small_index: SearchIndex,
) -> None:
    library = [f"2501.{n:05d}" for n in (0, 6, 12, 18, 4, 10, 16, 22)]  # two topics
    ids, vectors = small_index.vectors_of(library)
    profiles = build_profiles(ids, vectors, most=2)
    picks = small_index.recommend(profiles, k=40)
    assert len(picks) == 40
    assert not set(library) & {p.id for p in picks}, "the library's own papers are not picks"
    topics = {topic_of(p.id) for p in picks}
    assert topics == {TOPICS[0], TOPICS[4]}
    for pick in picks:
        assert pick.like in library
        assert topic_of(pick.like) == topic_of(pick.id)
        assert profiles[pick.profile].members.count(pick.like) == 1
        assert -1.0 <= pick.similarity <= 1.0
    for j in range(len(profiles)):  # best first within each interest
        mine = [p.score for p in picks if p.profile == j]
        assert mine == sorted(mine, reverse=True)


def test_recommend_filters_inside_the_search(small_index: SearchIndex) -> None:
    ids, vectors = small_index.vectors_of([f"2501.{n:05d}" for n in (0, 6, 12)])
    profiles = build_profiles(ids, vectors)
    since = dt.date(2025, 6, 1)
    seen = frozenset(f"2501.{n:05d}" for n in range(18, 600, 6))  # every other graph paper
    picks = small_index.recommend(profiles, filters=Filters(date_from=since, exclude=seen), k=30)
    assert picks
    assert not seen & {p.id for p in picks}
    # day numbers of the corpus: 2025-01-01 + n % 365
    for pick in picks:
        n = int(pick.id.split(".")[1])
        assert dt.date(2025, 1, 1) + dt.timedelta(days=n % 365) >= since


def test_dismissed_papers_pull_their_neighbours_down(small_index: SearchIndex) -> None:
    library = [f"2501.{n:05d}" for n in (0, 6, 12, 4, 10, 16)]
    ids, vectors = small_index.vectors_of(library)
    profiles = build_profiles(ids, vectors, most=2)
    before = small_index.recommend(profiles, k=20)
    quantum_before = sum(topic_of(p.id) == TOPICS[4] for p in before[:10])
    negatives = [f"2501.{n:05d}" for n in (28, 34, 40)]  # more quantum papers: not interested
    assert quantum_before >= 4, "both interests share the list"
    after = small_index.recommend(profiles, negatives=negatives, k=20)
    quantum_after = sum(topic_of(p.id) == TOPICS[4] for p in after[:10])
    assert quantum_after < quantum_before


def test_one_strong_interest_does_not_push_the_others_off_the_page(
    small_index: SearchIndex,
) -> None:
    library = [f"2501.{n:05d}" for n in (0, 6, 12, 4, 10, 16)]
    ids, vectors = small_index.vectors_of(library)
    profiles = build_profiles(ids, vectors, most=2)
    shared = [topic_of(p.id) for p in small_index.recommend(profiles, k=10)]
    assert shared.count(TOPICS[0]) == shared.count(TOPICS[4]) == 5
    plain = small_index.recommend(profiles, k=10, config=RecommendConfig(balance=False))
    assert len({topic_of(p.id) for p in plain}) == 1  # the word embedder favours one topic


def test_recommend_over_many_rows_asks_each_profile_for_its_neighbours(
    small_index: SearchIndex,
) -> None:
    """Past ``exact_rows`` allowed rows, candidates come from the dense index per profile:
    the picks are as good as the full scan's (this corpus has many papers of equal score,
    so which of them comes is not fixed), best first."""
    ids, vectors = small_index.vectors_of([f"2501.{n:05d}" for n in (0, 6, 4, 10)])
    profiles = build_profiles(ids, vectors, most=2)
    scan = small_index.recommend(profiles, k=10)
    graph = small_index.recommend(
        profiles, k=10, config=RecommendConfig(exact_rows=10, per_profile=60)
    )
    assert [p.score for p in graph] == pytest.approx([p.score for p in scan], abs=2e-3)
    assert len({p.id for p in graph} & {p.id for p in scan}) >= 5


def test_recommend_with_nothing_to_go_on(small_index: SearchIndex) -> None:
    assert small_index.recommend([]) == []
    empty = Profile(vector=np.ones(384, np.float32) / 384**0.5, weight=1.0, members=())
    assert small_index.recommend([empty]) == []
    unknown = Profile(vector=np.ones(384, np.float32) / 384**0.5, weight=1.0, members=("x",))
    assert small_index.recommend([unknown]) == []
    ids, vectors = small_index.vectors_of(["2501.00000"])
    profiles = build_profiles(ids, vectors)
    future = Filters(date_from=dt.date(2030, 1, 1))
    assert small_index.recommend(profiles, filters=future) == []


def test_vectors_of_skips_unknown_ids_and_keeps_order(small_index: SearchIndex) -> None:
    ids, vectors = small_index.vectors_of(["2501.00007", "nope", "2501.00003"])
    assert ids == ["2501.00007", "2501.00003"]
    assert vectors.shape == (2, 384)
    assert np.allclose(vectors[0], small_index.vector("2501.00007"), atol=1e-3)


@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid"])
def test_exclude_leaves_papers_out_of_every_ranker(small_index: SearchIndex, mode: str) -> None:
    query = "diffusion models image synthesis"
    top = small_index.search(query, mode=mode, limit=10)
    gone = frozenset(h.id for h in top.hits[:5])
    again = small_index.search(query, Filters(exclude=gone), mode=mode, limit=10)
    assert not gone & {h.id for h in again.hits}
    assert len(again.hits) == 10  # the page stays full
    if mode == "lexical":
        assert again.total == top.total - 5


def test_exclude_in_browse_and_similar(small_index: SearchIndex) -> None:
    everything = small_index.search("", limit=5)
    gone = frozenset(h.id for h in everything.hits[:3])
    browse = small_index.search("", Filters(exclude=gone), limit=5)
    assert not gone & {h.id for h in browse.hits}
    assert browse.total == everything.total - 3
    near = small_index.similar("2501.00000", k=5)
    skip = frozenset(h.id for h in near[:2])
    after = small_index.similar("2501.00000", k=5, filters=Filters(exclude=skip))
    assert not skip & {h.id for h in after}
    assert len(after) == 5


def test_matching_says_which_papers_a_query_would_find(small_index: SearchIndex) -> None:
    graph, quantum = "2501.00000", "2501.00004"
    assert small_index.matching([quantum, graph, "nope"], "graph neural networks") == [graph]
    assert small_index.matching([graph], "graph", Filters(categories=("cs.LG",))) == []
    assert small_index.matching([graph], "graph", Filters(categories=("cs.CV",))) == [graph]
    # what the search excludes still counts as a match: the point is to count hidden papers
    assert small_index.matching([graph], "graph", Filters(exclude=frozenset([graph]))) == [graph]


def test_a_window_is_read_once_per_state_and_a_commit_brings_new_papers(
    small_index: SearchIndex,
) -> None:
    from .conftest import make_paper

    ids, vectors = small_index.vectors_of([f"2501.{n:05d}" for n in (0, 6, 12)])
    profiles = build_profiles(ids, vectors)
    since = Filters(date_from=dt.date(2025, 11, 1))
    first = small_index.recommend(profiles, filters=since, k=10)
    gen = small_index.generation
    window = gen.window(Filters(date_from=dt.date(2025, 11, 1)), 100_000)
    assert window is not None
    assert gen.window(Filters(date_from=dt.date(2025, 11, 1)), 100_000) is window  # kept
    assert small_index.recommend(profiles, filters=since, k=10) == first
    # what the window holds: the live rows with a vector of those dates, in order
    rows, held = window
    assert list(rows) == sorted(rows)
    assert np.allclose(held, np.asarray(gen.vectors[rows], np.float32))
    assert gen.window(Filters(date_from=dt.date(2025, 11, 1)), len(rows) - 1) is None
    # a new paper just like the library, dated in the window, comes first after the commit
    twin = make_paper(
        9999,
        id="2512.99999",
        title=f"{TOPICS[0].capitalize()} study 0",
        abstract=f"We study {TOPICS[0]}. Variant 0 improves on earlier work.",
        date=dt.date(2025, 12, 30),
    )
    small_index.add([twin])
    again = small_index.recommend(profiles, filters=since, k=10)
    assert again[0].id == "2512.99999"
    # excluding it (seen) takes it out again, from the same held window
    seen = Filters(date_from=dt.date(2025, 11, 1), exclude=frozenset({"2512.99999"}))
    assert [p.id for p in small_index.recommend(profiles, filters=seen, k=10)] == [
        p.id for p in first
    ]


def test_a_large_library_scores_a_shortlist_by_profile_and_finds_the_same_picks(
    small_index: SearchIndex,
) -> None:
    """Past ``score_pairs`` (window rows x library papers) each profile shortlists its
    nearest rows and scores them against its own papers: on well separated interests the
    picks are the full scan's."""
    library = [f"2501.{n:05d}" for n in (0, 6, 12, 18, 4, 10, 16, 22)]
    ids, vectors = small_index.vectors_of(library)
    profiles = build_profiles(ids, vectors, most=2)
    full = small_index.recommend(profiles, k=20, config=RecommendConfig(score_pairs=10**9))
    short = small_index.recommend(
        profiles, k=20, config=RecommendConfig(score_pairs=0, per_profile=60)
    )
    assert [p.id for p in short] == [p.id for p in full]
    assert [p.like for p in short] == [p.like for p in full]
    assert [p.score for p in short] == pytest.approx([p.score for p in full], abs=1e-5)
    # negatives count on the shortlist too
    negatives = [f"2501.{n:05d}" for n in (28, 34, 40)]
    cut = small_index.recommend(
        profiles,
        negatives=negatives,
        k=20,
        config=RecommendConfig(score_pairs=0, per_profile=60),
    )
    before = {p.id: p.score for p in short}
    after = {p.id: p.score for p in cut}
    both = set(before) & set(after)
    assert all(after[i] < before[i] for i in both if topic_of(i) == TOPICS[4])


def test_relative_negatives_cost_only_nearness_beyond_the_library() -> None:
    from papersearch.profiles import score

    library = np.asarray([[1.0, 0.0, 0.0]], np.float32)
    dismissed = np.asarray([[0.0, 1.0, 0.0]], np.float32)
    near_library = np.asarray([[0.9, 0.3, 0.0]], np.float32)  # more like what was kept
    near_dismissed = np.asarray([[0.3, 0.9, 0.0]], np.float32)
    cfg = RecommendConfig(top_m=1, negative_weight=1.0, negative_floor=0.0, negative_relative=True)
    kept, _ = score(near_library, library, np.ones(1, np.float32), dismissed, cfg)
    assert kept[0] == pytest.approx(0.9)
    gone, _ = score(near_dismissed, library, np.ones(1, np.float32), dismissed, cfg)
    assert gone[0] == pytest.approx(0.3 - (0.9 - 0.3))
