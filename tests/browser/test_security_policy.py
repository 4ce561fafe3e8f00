"""The Content-Security-Policy holds in the browser: the site's own pages (every browser
test collects violations, see conftest.py) and the API docs, whose Swagger UI comes from
the site's own static files, with every request off the site refused."""

from __future__ import annotations

import pytest

from tests.community.helpers import make_entry

pytestmark = pytest.mark.django_db(transaction=True)


def test_api_docs_render_offline_under_the_policy(live_server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    outside: list[str] = []

    def only_this_site(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_site)
    page = context.new_page()
    page.goto(f"{live_server.url}/api/docs")
    page.get_by_text("/api/v1/search").first.wait_for(timeout=15_000)  # the v1 schema
    assert page.get_by_text("Daily Papers API").first.is_visible()
    assert outside == []
    context.close()


def test_a_page_with_math_and_votes_has_no_violation(live_server, browser):
    from dailypapers.community.comments import post_comment
    from tests.community.helpers import make_user

    entry = make_entry(title=r"Sparse attention in $O(n \log n)$", abstract=r"We bound $x^2$.")
    post_comment(make_user("writer"), entry.paper, "\u202eA comment with an override")
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/papers/{entry.paper.arxiv_id}")
    page.wait_for_load_state("load")
    page.locator(".katex").first.wait_for(timeout=10_000)  # KaTeX ran under the policy
    assert browser.violations == []
    isolated = page.evaluate(
        "getComputedStyle(document.querySelector('.comment-body')).unicodeBidi"
    )
    assert isolated == "isolate"
    # An inline style, as an injected one would be: refused, and reported.
    page.evaluate(
        "() => { const s = document.createElement('style');"
        " s.textContent = 'body { color: red }'; document.head.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    context.close()
    assert len(browser.violations) == 1 and "style-src" in browser.violations[0]
    browser.violations.clear()
