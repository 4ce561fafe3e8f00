"""Odd or hostile input gets a helpful page, never an error."""

import pytest

pytestmark = pytest.mark.django_db

HOSTILE = [
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "x" * 10_000,
    '"',
    "'",
    "-",
    "- - -",
    '"unclosed phrase',
    "author:",
    "cat:",
    "((()))[]{}*?:^~\\",
    "Schrödinger 量子 🚀",
    "\x00\x01 null",
    "AND OR NOT",
    "H_0 tension",
    "$H_0$ dipole",
    "store_true",
    '"a_b c"',
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_query_on_the_page(client, indexed, query):
    page = client.get("/search", {"q": query})
    assert page.status_code == 200
    assert b"<script>alert(1)</script>" not in page.content


@pytest.mark.parametrize(
    "params",
    [
        {"page": "-3"},
        {"page": "999999999999"},
        {"page": "abc"},
        {"sort": "nonsense"},
        {"date_from": "2025-13-45"},
        {"cat": "<b>" * 50},
        {"code": "maybe"},
    ],
)
def test_bad_parameters_are_ignored(client, indexed, params):
    assert client.get("/search", {"q": "study", **params}).status_code == 200


def test_long_query_is_trimmed_with_a_note(client, indexed):
    html = client.get("/search", {"q": "quantum " * 100}).content.decode()
    assert "only its first 250 characters were searched" in html


def test_post_is_not_allowed(client, indexed):
    assert client.post("/search", {"q": "x"}).status_code == 405


def test_underscore_queries_highlight_a_physics_paper(client, add_papers):
    """``H_0`` is two words to the index; the page marks both and keeps the title whole,
    its closing bracket included."""
    from dailypapers.search import keeper

    add_papers(3)
    add_papers(1, title="The $H_0$ tension from a dipole (CMB)", abstract="We measure H_0.")
    keeper.index_pending()
    for query in ("H_0 tension", "$H_0$ dipole", "h_0", '"H_0 tension"'):
        page = client.get("/search", {"q": query})
        assert page.status_code == 200, query
        html = page.content.decode()
        assert "<b>H</b>_<b>0</b>" in html, query
        assert "(CMB)</" in html, query
