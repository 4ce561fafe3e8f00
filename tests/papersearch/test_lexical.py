from papersearch import SearchIndex

from .conftest import make_paper


def ids(results) -> list[str]:
    return [h.id for h in results.hits]


def test_phrase_matches_words_in_order_only(index_path, embedder) -> None:
    index = SearchIndex.open(index_path, embedder)
    index.add(
        [
            make_paper(1, title="Neural networks for graphs"),
            make_paper(2, title="Graphs of networks, neural ones"),
        ]
    )
    assert ids(index.search('"neural networks"', mode="lexical")) == ["2501.00001"]
    assert set(ids(index.search("neural networks", mode="lexical"))) == {
        "2501.00001",
        "2501.00002",
    }


def test_exclusion_removes_matches_in_every_mode(small_index) -> None:
    for mode in ("lexical", "dense", "hybrid"):
        results = small_index.search("diffusion image synthesis -study", mode=mode)
        assert results.hits == [], mode
    results = small_index.search("diffusion models -cluster", mode="hybrid", limit=50)
    assert results.hits
    marked = small_index.highlights([h.id for h in results.hits], "cluster clusters")
    assert not any("title" in fields for fields in marked.values())


def test_author_and_category_prefixes(small_index) -> None:
    results = small_index.search("author:turing cat:cs.CV", mode="lexical", limit=100)
    assert results.total == len(results.hits) > 0
    for hit in results.hits:
        n = int(hit.id.split(".")[1])
        assert n % 7 == 0 and n % 2 == 0
    # a group matches every category in it
    assert small_index.search("cat:stat quantum", mode="lexical").total == 100
    assert small_index.search("cat:stat", mode="lexical").total == 300
    assert small_index.search("cat:stat dark matter", mode="lexical").total == 0


def test_title_match_outranks_abstract_match(index_path, embedder) -> None:
    index = SearchIndex.open(index_path, embedder)
    index.add(
        [
            make_paper(1, title="A study", abstract="Transformers and more transformers here."),
            make_paper(2, title="Transformers", abstract="A study of something else entirely."),
        ]
    )
    assert ids(index.search("transformers", mode="lexical"))[0] == "2501.00002"


def test_highlights_mark_query_terms(small_index) -> None:
    hit = small_index.search("galaxy clusters", mode="lexical").hits[0]
    assert "galaxy" in hit.highlights["title"].terms()
    assert "clusters" in hit.highlights["abstract"].terms()
    title = hit.highlights["title"]
    assert "".join(text for text, _ in title.parts()) == title.text
    assert [text for text, marked in title.parts() if marked] == [
        title.text[a:b] for a, b in title.spans
    ]


def test_spans_count_characters_not_bytes(index_path, embedder) -> None:
    # tantivy marks byte ranges of the UTF-8 text; a snippet's spans are str offsets.
    index = SearchIndex.open(index_path, embedder)
    index.add([make_paper(1, title="Über die Größe von Café-Netzwerken: café models")])
    title = index.search("café", mode="lexical").hits[0].highlights["title"]
    assert [title.text[a:b].lower() for a, b in title.spans] == ["café", "café"]


def test_hybrid_pages_carry_the_same_snippets_as_a_direct_fetch(small_index) -> None:
    # Every mode and page shows the snippets of its own rows.
    query = "galaxy clusters dark matter"
    for mode in ("hybrid", "lexical", "dense"):
        for offset in (0, 5):
            results = small_index.search(query, mode=mode, limit=5, offset=offset)
            direct = small_index.highlights([h.id for h in results.hits], query)
            assert [h.highlights for h in results.hits] == [direct[h.id] for h in results.hits]
            assert any("title" in h.highlights for h in results.hits)


def test_highlights_are_escaped(index_path, embedder) -> None:
    index = SearchIndex.open(index_path, embedder)
    index.add([make_paper(1, title="Bounds <script> for x < y & z")])
    title = index.search("bounds", mode="lexical").hits[0].highlights["title"]
    # plain text, spans apart: whoever shows it escapes it (the page, the API)
    assert title.text == "Bounds <script> for x < y & z" and title.terms() == {"Bounds"}


def test_words_match_as_written_not_stemmed(index_path, embedder) -> None:
    # A stemmer files "generation" and "general" under one stem; scientific text keeps them
    # apart, so a search for one must not find papers that only have the other.
    index = SearchIndex.open(index_path, embedder)
    index.add(
        [
            make_paper(1, title="General bounds", abstract="In general the bounds hold."),
            make_paper(2, title="Text generation", abstract="We study generation of text."),
        ]
    )
    assert ids(index.search("generation", mode="lexical")) == ["2501.00002"]
    assert ids(index.search("general", mode="lexical")) == ["2501.00001"]


def test_a_surname_that_is_also_a_word_weighs_little(index_path, embedder) -> None:
    index = SearchIndex.open(index_path, embedder)
    index.add(
        [
            make_paper(1, title="Long context retrieval", authors=("Ada Lovelace",)),
            make_paper(2, title="Short notes on retrieval", authors=("Wei Long",)),
        ]
    )
    assert ids(index.search("long retrieval", mode="lexical"))[0] == "2501.00001"
    # a name alone still finds the author's papers, and author: asks for the name only
    assert ids(index.search("long", mode="lexical"))[0] == "2501.00001"
    assert ids(index.search("author:long", mode="lexical")) == ["2501.00002"]


def test_snippets_keep_what_clings_to_the_words(index_path, embedder) -> None:
    """A title's snippet is the whole title, its closing bracket or full stop included
    (tantivy's fragment stops at the last word); an abstract's is widened to the spaces
    around it, so ``$H_0$`` keeps both dollars."""
    index = SearchIndex.open(index_path, embedder)
    titles = ["Large Language Models (LLMs)", "Learning to Walk for Legged Robots."]
    index.add(
        [
            make_paper(1, title=titles[0], abstract="$H_0$ from (LLMs)."),
            make_paper(2, title=titles[1], abstract="Robots walk. " + "Filler words. " * 60),
        ]
    )
    marked = index.highlights(["2501.00001", "2501.00002"], "llms robots H_0")
    first, second = marked["2501.00001"], marked["2501.00002"]
    assert first["title"].text == titles[0] and first["title"].terms() == {"LLMs"}
    assert second["title"].text == titles[1] and second["title"].terms() == {"Robots"}
    assert first["abstract"].text == "$H_0$ from (LLMs)."
    assert first["abstract"].terms() == {"H", "0", "LLMs"}
    assert second["abstract"].text.startswith("Robots walk.")
    assert second["abstract"].terms() == {"Robots"}
    assert len(second["abstract"].text) < 350  # still a piece of a long abstract


def test_common_words_count_only_beside_rarer_ones(index_path, embedder) -> None:
    """A word in more than 5% of the papers ("learning" here, in 150 of 200) is scored only
    in papers that hold one of the query's rarer words, ranked as the plain query ranks
    them; unless the rarer words are in fewer papers than were asked for (a word still being
    typed), when every word counts alone. Phrases keep the plain query."""
    from papersearch.lexical import COMMON_SHARE
    from papersearch.query import parse
    from papersearch.types import Filters

    index = SearchIndex.open(index_path, embedder)
    papers = [
        make_paper(n, title=f"Learning study {n}", abstract="We study learning." * (1 + n % 3))
        for n in range(150)
    ]
    papers += [make_paper(n, title=f"Plain report {n}") for n in range(150, 196)]
    papers += [
        make_paper(196, title="Graph learning", abstract="Graph learning at scale."),
        make_paper(197, title="Graph theory", abstract="Graphs and graph colourings."),
        make_paper(198, title="A graph of learning curves", abstract="Learning, learning."),
        make_paper(199, title="Graph learning learning", abstract="On graph learning."),
    ]
    index.add(papers)
    lexical = index.generation.lexical
    assert 150 > COMMON_SHARE * 200 >= 4  # "learning" is common, "graph" (4 papers) is not

    def ranked(query: str, want: int) -> list[int]:
        built = lexical.build_query(parse(query), Filters(), want=want)
        rows, _scores, _count = lexical.search(built, 300)
        return [int(r) for r in rows]

    plain = ranked("graph learning", 0)  # every paper with either word
    focused = ranked("graph learning", 4)
    assert len(plain) == 154 and sorted(focused) == [196, 197, 198, 199]
    assert focused == [r for r in plain if r in {196, 197, 198, 199}]  # in the plain order
    assert ranked("graph learning", 5) == plain  # the graph papers are fewer than asked for
    assert ranked("learning", 4) == ranked("learning", 0)  # one word: as it is
    assert len(ranked('graph learning "learning curves"', 4)) == 1  # the phrase decides
