"""Math and the search page's first screen in Chromium: KaTeX renders formulas in a profile's
comments and in search snippets, text commands show as bold, italic and code, hostile TeX
stays text; at 390 px the search filters are folded away (open when one is set) and results
start on the first screen; live search writes only the fields that have a value."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from dailypapers.community.comments import post_comment
from dailypapers.search import keeper
from tests.community.helpers import make_entry, make_paper, make_user

from .conftest import axe_violations, shoot

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def test_katex_renders_a_profiles_comments(live_server, browser):
    paper = make_paper(title=r"Bounds on $\alpha$-stable laws", abstract="We study things.")
    make_entry(paper)
    writer = make_user("writer")
    post_comment(writer, paper, r"The constant $C_\alpha \le 2$ is tight; see \(x^2\).")
    post_comment(writer, paper, r"Hostile: $\href{javascript:alert(1)}{x}$ and <script>x</script>")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/u/writer?tab=comments")
    page.wait_for_selector(".comment-body .katex")
    bodies = page.locator(".comment-body")
    assert bodies.count() == 2
    rendered = page.locator(".comment-body .katex")
    assert rendered.count() >= 3  # $C_\alpha \le 2$, \(x^2\), the hostile one as text
    assert "$C_" not in page.inner_text(".comments")
    assert page.locator(".comment-head a .katex").count() == 2  # the paper's title, twice
    assert page.locator(".comments a[href^='javascript']").count() == 0
    assert page.locator(".comments script").count() == 0
    assert axe_violations(page) == []
    context.close()


def test_search_snippets_render_math_and_text_commands(live_server, browser, add_papers):
    add_papers(
        1,
        title=r"\textbf{Sparse} attention with $\mathcal{O}(n)$ memory",
        abstract=(
            r"We show that \emph{sparse} attention reaches $\mathcal{O}(n \log n)$ time, "
            r"with \texttt{flash} kernels and \textbf{<img src=x onerror=alert(1)>} care. "
            + "Filler words follow here. " * 20
            + r"The bound $\sum_{i} a_i \le \epsilon$ holds for attention."
        ),
    )
    keeper.index_pending()
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/search?q=attention")
    page.wait_for_selector(".search-result .abstract .katex")
    result = page.locator(".search-result").first
    assert result.locator("h2 .katex").count() == 1
    assert result.locator("h2 strong").inner_text() == "Sparse"
    abstract = result.locator(".abstract")
    text = abstract.inner_text()
    assert "\\textbf" not in text and "\\emph" not in text and "$" not in text
    assert abstract.locator("img").count() == 0
    assert "<img src=x onerror=alert(1)>" in text  # shown as text
    assert result.locator(".abstract b").count() >= 1  # the term stays marked
    context.close()
    assert shoot(browser, f"{live_server.url}/search?q=attention", "search-math") == []


def test_search_filters_fold_away_on_a_phone(live_server, browser, add_papers):
    add_papers(12)
    keeper.index_pending()
    url = f"{live_server.url}/search?q=earlier+work"

    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(".search-count")
    assert not page.locator(".search-fold").evaluate("d => d.open")
    assert not page.get_by_label("Categories", exact=True).is_visible()
    first = page.locator(".search-result h2").first.bounding_box()
    assert first and first["y"] + first["height"] <= PHONE["height"]  # results on screen one
    page.locator(".search-fold > summary").click()
    assert page.get_by_label("Categories", exact=True).is_visible()

    # live search: only the fields that have a value go into the address
    page.fill("#id_q", "earlier")
    page.wait_for_url(re.compile(r"\?q=earlier&"))
    query = dict(parse_qsl(urlsplit(page.url).query, keep_blank_values=True))
    assert query == {"q": "earlier", "sort": "relevance", "mode": "hybrid"}  # no cat=, date_from=
    page.check("#id_code")
    page.wait_for_url(re.compile(r"code=on"))
    query = dict(parse_qsl(urlsplit(page.url).query, keep_blank_values=True))
    assert "" not in query.values() and query["code"] == "on", query
    context.close()

    # a filter set: open on a phone too, and without JavaScript
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(url + "&cat=cs.LG")
    assert page.get_by_label("Categories", exact=True).is_visible()
    context.close()
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(url)
    assert not page.get_by_label("Categories", exact=True).is_visible()
    page.locator(".search-fold > summary").click()  # the summary works without JavaScript
    assert page.get_by_label("Categories", exact=True).is_visible()
    context.close()

    # a wide screen shows them
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("document.querySelector('.search-fold').open")
    assert page.get_by_label("Categories", exact=True).is_visible()
    context.close()
    assert shoot(browser, url, "search-folded") == []
