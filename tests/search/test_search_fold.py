"""The search page's filters fold into a "Filters" summary: folded with no filter set, open
when one is (or an order is chosen); the page's script is served from the site itself; a
snippet with TeX is marked for KaTeX and renders text commands."""

import re

import pytest

pytestmark = pytest.mark.django_db


def fold(html: str) -> str:
    found = re.search(r'<details class="search-fold"[^>]*>', html)
    assert found, "no filters fold"
    return found.group(0)


def test_filters_are_folded_until_one_is_set(client, indexed):
    html = client.get("/search", {"q": "study"}).content.decode()
    assert " open" not in fold(html)
    assert "<summary>Filters</summary>" in html
    assert '<script src="/static/dailypapers/search.js" defer></script>' in html
    for params in (
        {"cat": "cs.CV"},
        {"date_from": "2025-01-05"},
        {"date_to": "2025-01-06"},
        {"code": "on"},
        {"sort": "date"},
    ):
        html = client.get("/search", {"q": "study", **params}).content.decode()
        assert " open" in fold(html), params
    # an empty parameter is no filter
    html = client.get("/search", {"q": "study", "cat": "", "date_from": ""}).content.decode()
    assert " open" not in fold(html)


def test_snippets_are_marked_for_katex(client, indexed):
    html = client.get("/search", {"q": "quantum"}).content.decode()
    assert '<p class="abstract tex">' in html and '<bdi class="tex">' in html


def test_a_snippet_cut_inside_tex_is_widened_and_marked_whole() -> None:
    from dailypapers.search.templatetags.search_tags import highlighted
    from papersearch import Snippet

    whole = r"We bound $\alpha + \beta$ with \textbf{sparse attention heads} in $O(n)$."
    cut = whole[13:48]  # from inside the first formula to inside \textbf{...}
    at = cut.index("beta")
    html = highlighted(Snippet(cut, ((at, at + 4),)), whole)
    assert html == (r"<b>$\alpha + \beta$</b> with <strong>sparse attention heads</strong>")
    # without the whole text: the piece as it is, escaped, TeX left alone
    assert highlighted(Snippet("<x> $a", ((0, 3),))) == "<b>&lt;x&gt;</b> $a"
