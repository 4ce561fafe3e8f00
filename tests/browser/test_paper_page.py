"""The paper page in Chromium: the reading links in the first mobile screen above the
abstract, addresses made links beside rendered math, link-preview tags, the links form."""

from __future__ import annotations

import pytest

from dailypapers.community.comments import post_comment
from dailypapers.community.models import PaperLinks
from tests.community.helpers import make_entry, make_user

from .conftest import shoot

pytestmark = pytest.mark.django_db(transaction=True)


def test_paper_page_links_previews_and_links_form(live_server, browser):
    url = live_server.url
    owner = make_user("owner")
    entry = make_entry(
        by=owner,
        title=r"Sparse attention in $O(n \log n)$ time",
        abstract=(r"We show that $\sum_i x_i^2$ is small, see https://acme.org/notes. " * 12),
        authors=[f"Author Number {n}" for n in range(30)],
        repo_url="https://github.com/acme/sparse",
        github_stars=321,
    )
    paper = entry.paper
    post_comment(owner, paper, "Slides at https://acme.org/slides, and $a_b$ holds.")

    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{url}/papers/{paper.arxiv_id}")
    page.wait_for_load_state("load")
    abstract_top = page.locator("#abstract-h").bounding_box()["y"]
    for name in ("PDF", "arXiv page", "Code"):
        box = page.get_by_role("link", name=name, exact=False).first.bounding_box()
        assert box["y"] < abstract_top, name
        assert box["y"] + box["height"] <= 844, f"{name} is below the first screen"
    assert "★ 321" in page.locator(".paper-links").inner_text()
    # The math around the links is rendered, the links work.
    abstract = page.locator("p.abstract")
    assert abstract.locator(".katex").count() >= 12
    assert abstract.locator('a[href="https://acme.org/notes"]').count() == 12
    assert page.locator('.comments a[href="https://acme.org/slides"]').count() == 1
    assert page.locator(".comments .katex").count() == 1
    meta = {
        key: page.locator(f'meta[property="{key}"], meta[name="{key}"]').first.get_attribute(
            "content"
        )
        for key in ("og:title", "og:description", "og:url", "og:type", "twitter:card")
    }
    assert meta["og:title"] == "Sparse attention in O(n log n) time"
    assert meta["og:description"].startswith("We show that")
    assert meta["og:url"].endswith(f"/papers/{paper.arxiv_id}")
    assert (meta["og:type"], meta["twitter:card"]) == ("article", "summary")
    canonical = page.locator('link[rel="canonical"]').get_attribute("href")
    assert canonical == f"https://arxiv.org/abs/{paper.arxiv_id}"
    page.context.close()

    # The submitter sets the links through the form; the page says who did.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    own = context.new_page()
    own.goto(f"{url}/accounts/login/")
    own.fill("#id_login", "owner")
    own.fill("#id_password", "a-long-password-1")
    own.press("#id_password", "Enter")
    own.wait_for_load_state("load")
    own.goto(f"{url}/papers/{paper.arxiv_id}")
    own.get_by_role("link", name="Edit links").click()
    own.get_by_label("Project page").fill("ftp://acme.org")
    own.get_by_role("button", name="Save the links").click()
    assert "must start with https://" in own.locator("#links-project-error").inner_text()
    own.get_by_label("Project page").fill("https://acme.org/sparse")
    own.get_by_role("button", name="Save the links").click()
    own.wait_for_selector("text=Links set by")
    assert PaperLinks.objects.get(paper=paper).project_url == "https://acme.org/sparse"
    assert own.get_by_role("link", name="Project page").get_attribute("href") == (
        "https://acme.org/sparse"
    )
    state = context.storage_state()
    context.close()

    problems = shoot(browser, f"{url}/papers/{paper.arxiv_id}", "paper-rich")
    problems += shoot(browser, f"{url}/links/{paper.pk}", "paper-links", storage_state=state)
    problems += shoot(browser, f"{url}/submit", "submit-with-comment", storage_state=state)
    assert not problems, problems
