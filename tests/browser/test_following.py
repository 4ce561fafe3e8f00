"""Following in Chromium: open an author page from a card, follow the author and a category,
follow a search, find them all on the Following page and its stream, unfollow; at 390 and
1440 px, every page photographed and scanned with axe-core."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from dailypapers.catalog.models import Author
from dailypapers.community.browse import author_url
from dailypapers.library.models import Follow
from dailypapers.search import keeper
from tests.community.helpers import make_entry, make_paper, make_user

from .conftest import open_menu, shoot

pytestmark = pytest.mark.django_db(transaction=True)

LONG_NAME = "Maximiliana Wilhelmina Konstantinopoulou-Vanderbergh-Ramaswamy"


def catalogue() -> None:
    now = timezone.now()
    make_entry(
        title="Sparse attention for long documents",
        authors=["Emmy Noether", "Hermann Weyl", LONG_NAME],
        categories=["cs.CL", "cs.LG"],
        submitted=now - timedelta(days=1),
    )
    for i in range(6):
        make_paper(
            title=f"Invariants of attention, part {i}",
            authors=["Emmy Noether", f"Co-author {i % 3}", "Hermann Weyl"],
            categories=["cs.CL"] if i % 2 else ["math.RA", "cs.CL"],
            submitted=now - timedelta(days=3 + i),
        )
    keeper.index_pending()


def log_in(browser, url: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_login", "reader")
    page.fill("#id_password", "a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    return context, page


def no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", [390, 1440])
def test_follow_an_author_a_category_and_a_search(live_server, browser, search_settings, width):
    url = live_server.url
    catalogue()
    reader = make_user("reader")
    emmy = Author.objects.get(name="Emmy Noether")
    context, page = log_in(browser, url, width)

    # from a card on the home page to the author's page
    page.goto(url + "/")
    page.locator(".entry .authors").get_by_role("link", name="Emmy Noether").click()
    page.wait_for_url(url + author_url(emmy))
    assert page.locator("h1").inner_text() == "Emmy Noether"
    assert "7 papers" in page.inner_text(".subtitle")
    assert page.locator(".entry").count() == 7 and page.locator(".entry .vote").count() == 1
    coauthors = page.locator(".facts ol li").all_inner_texts()
    assert coauthors[0].startswith("Hermann Weyl") and coauthors[0].endswith("7")
    no_sideways_scroll(page, width)

    # follow: htmx swaps the button, the page does not reload
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Follow Emmy Noether").click()
    page.wait_for_selector("button[data-following='true']")
    assert page.evaluate("window.notReloaded") is True
    assert Follow.objects.filter(user=reader, kind="author", author=emmy).exists()

    # a category chip on the author page leads to the category page; follow it there
    page.locator(".facts").get_by_role("link", name="math.RA").click()
    page.wait_for_url(url + "/categories/math.RA")
    assert page.locator(".entry").count() == 3
    page.get_by_role("button", name="Follow math.RA").click()
    page.wait_for_selector("button[data-following='true']")
    no_sideways_scroll(page, width)

    # follow a search, named
    page.goto(f"{url}/search?q=attention&cat=cs.CL&page=1")
    page.wait_for_selector(".search-count")
    page.get_by_label("Name for this saved search").fill("Attention papers")
    page.get_by_role("button", name="Follow this search").click()
    page.wait_for_selector("text=Following as")
    [saved] = Follow.objects.filter(user=reader, kind="search")
    assert (saved.query, saved.label) == ("q=attention&cat=cs.CL", "Attention papers")
    no_sideways_scroll(page, width)

    # everything is on the Following page; the search opens as a stream, newest first
    open_menu(page)
    page.get_by_role("link", name="Your papers", exact=True).click()
    page.get_by_role("navigation", name="Your papers").get_by_role("link", name="Following").click()
    page.wait_for_url(url + "/following")
    assert page.get_by_role("link", name="Emmy Noether").is_visible()
    assert page.get_by_role("link", name="math.RA").is_visible()
    no_sideways_scroll(page, width)
    state = context.storage_state()
    page.get_by_role("link", name="Attention papers").click()
    page.wait_for_url(re.compile(r".*/search\?q=attention&cat=cs.CL&sort=date$"))
    assert page.locator("#id_sort").input_value() == "date"
    assert "Unfollow this search" in page.content()

    # unfollowing on the Following page removes the row
    page.goto(url + "/following")
    page.get_by_role("button", name="Unfollow math.RA").click()
    page.wait_for_selector("text=math.RA", state="detached")
    assert not Follow.objects.filter(user=reader, kind="category").exists()
    context.close()

    if width == 1440:
        Follow.objects.get_or_create(user=reader, kind="category", category_id="math.RA")
        problems = []
        problems += shoot(browser, url + author_url(emmy), "author")
        problems += shoot(browser, url + author_url(emmy), "author-member", storage_state=state)
        problems += shoot(browser, url + "/categories/cs.CL", "category")
        problems += shoot(browser, url + "/following", "following", storage_state=state)
        problems += shoot(
            browser, url + "/search?q=attention&cat=cs.CL", "search-follow", storage_state=state
        )
        problems += shoot(browser, url + "/search?q=attention&cat=math.RA", "search-visitor")
        assert problems == []
