"""Whatever a reader types, every ranker and the highlighter answer without an exception.

Generated queries mix what breaks query parsers: tantivy's operators (AND, OR, NOT, +, -,
*, ^, ~, field:), quotes left open, LaTeX with underscores and backslashes ($H_0$,
\\mathcal{O}(n^2)), words joined by underscores or dots (store_true, 1.5e-3), Unicode
(accents, CJK, combining marks, right-to-left text, emoji), NUL and other control
characters, up to 250 characters (the most the product searches).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papersearch import Filters, SearchIndex

from .conftest import make_paper

PIECES = [
    "AND",
    "OR",
    "NOT",
    "and",
    "+",
    "-",
    "*",
    "?",
    "^2",
    "~1",
    ":",
    '"',
    "'",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\\",
    "/",
    "$",
    "$H_0$",
    "H_0",
    "H_0 tension",
    "store_true",
    "_",
    "__init__",
    "\\mathcal{O}(n^2)",
    "$\\alpha_{s}$",
    "\\textbf{x}",
    "1.5e-3",
    "10^{-3}",
    "author:",
    "author:turing",
    'author:"grace hopper"',
    "cat:",
    "cat:cs.LG",
    "title:",
    "-study",
    '"dark matter',
    '"galaxy clusters"',
    "LLMs)",
    "Robots.",
    "Schrödinger",
    "量子",
    "🚀",
    "é",
    "İ",
    "ß",
    "\u0301",
    "\u200b",
    "שלום",
    "हिन्दी",
    "\x00",
    "\x01",
    "\t",
    "\n",
    " ",
    "x" * 60,
]

queries = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=40).map(
    lambda parts: "".join(parts)[:250]
)

TITLES = [
    "The $H_0$ tension and a dipole in the Hubble flow",
    "Large Language Models (LLMs)",
    "Learning to Walk for Legged Robots.",
    "store_true: flags in command lines",
    "Schrödinger bridges for 量子 systems",
    "$\\mathcal{O}(n^2)$ attention, and beyond",
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    from .conftest import WordEmbedder, corpus

    path = tmp_path_factory.mktemp("any-query") / "index"
    index = SearchIndex.open(path, WordEmbedder())
    docs = corpus(120)
    docs += [
        make_paper(900 + i, title=title, abstract=f"{title} Abstract text, with {title}.")
        for i, title in enumerate(TITLES)
    ]
    index.add(docs)
    return index


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=queries)
def test_no_query_raises(index: SearchIndex, query: str) -> None:
    for mode in ("lexical", "dense", "hybrid"):
        results = index.search(query, mode=mode, limit=10)
        assert len(results.hits) <= 10
        for hit in results.hits:
            for snippet in hit.highlights.values():
                assert all(0 <= a < b <= len(snippet.text) for a, b in snippet.spans)
        index.highlights([hit.id for hit in results.hits], query)
    filtered = Filters(categories=("cs",), date_from=dt.date(2025, 2, 1))
    index.search(query, filtered, sort="date", limit=5)
    index.matching([f"2501.{900 + i:05d}" for i in range(len(TITLES))], query)


@pytest.mark.parametrize(
    "query",
    [
        "H_0 tension",
        "$H_0$ dipole",
        "store_true",
        '"H_0 tension"',
        "-H_0 tension",
        "H_0_0_0",
        "\x00",
        "a\x00b",
        "AND OR NOT",
        "x" * 250,
        "ß" * 250,
        "\u0301" * 50,
    ],
)
def test_known_hard_queries(index: SearchIndex, query: str) -> None:
    for mode in ("lexical", "dense", "hybrid"):
        results = index.search(query, mode=mode)
        index.highlights([hit.id for hit in results.hits], query)
