"""Your papers in Chromium: save from a card with htmx and without JavaScript, make a
collection, add a paper to it, write a note, download the export; /saved, /collections and
a collection photographed at 390 and 1440 px and scanned for accessibility."""

from __future__ import annotations

import json
import re

import bibtexparser
import pytest

from dailypapers.library.models import Collection, CollectionItem, ReadMark
from tests.community.helpers import make_entry, make_user

from .conftest import shoot

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in(browser, url: str, width: int, *, javascript: bool = True):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_login", "reader")
    page.fill("#id_password", "a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    return context, page


def test_save_collect_note_export(live_server, browser, tmp_path):
    url = live_server.url
    first = make_entry(title=r"Sparse attention in $O(n \log n)$ time", upvotes=3)
    second = make_entry(title="Schrödinger bridges for {BERT}", upvotes=2)
    third = make_entry(title="A third paper, to keep", upvotes=1)
    reader = make_user("reader")

    # with htmx: the buttons change in place, the page does not reload
    context, page = _log_in(browser, url, 390)
    page.goto(url + "/")
    page.evaluate("window.notReloaded = true")
    save = page.locator(f"form[action='/saved/papers/{first.paper.pk}'] button")
    save.click()
    page.wait_for_selector(
        f"form[action='/saved/papers/{first.paper.pk}'] button[aria-pressed='true']"
    )
    read = page.locator(f"form[action='/read/papers/{first.paper.pk}'] button")
    read.click()
    page.wait_for_selector(
        f"form[action='/read/papers/{first.paper.pk}'] button[aria-pressed='true']"
    )
    assert page.evaluate("window.notReloaded") is True
    assert CollectionItem.objects.filter(
        collection__owner=reader, collection__is_reading_list=True, paper=first.paper
    ).exists()
    assert ReadMark.objects.filter(user=reader, paper=first.paper).exists()
    reader_state = context.storage_state()

    # hide what I have read: the list says so, and shows it again on request
    page.get_by_label("Hide papers I\u2019ve read").check()
    page.get_by_role("button", name="Update", exact=True).click()
    page.wait_for_selector("text=1 paper hidden")
    assert page.locator(f"form[action='/saved/papers/{first.paper.pk}']").count() == 0
    page.get_by_role("button", name="show them").click()
    page.wait_for_selector(f"form[action='/saved/papers/{first.paper.pk}']")
    context.close()

    # without JavaScript: a plain form, back to the same page
    context, page = _log_in(browser, url, 1440, javascript=False)
    page.goto(url + "/papers/trending")
    page.locator(f"form[action='/saved/papers/{second.paper.pk}'] button").click()
    page.wait_for_load_state("load")
    assert page.url == url + "/papers/trending"
    assert page.locator(
        f"form[action='/saved/papers/{second.paper.pk}'] button[aria-pressed='true']"
    ).is_visible()
    assert "Saved to your reading list." in page.content()
    context.close()

    # a collection: make it, add a paper from its page, write a note, download it
    context, page = _log_in(browser, url, 1440)
    page.get_by_role("link", name="Your papers").click()
    page.wait_for_url(url + "/saved")
    assert page.locator(".collection-item").count() == 2
    page.get_by_role("link", name="Collections").click()
    page.get_by_label("Name", exact=True).fill("Thesis <chapter 2>")
    page.get_by_label("Description").fill("Papers for the second chapter.")
    page.get_by_label("Public: anyone with the link can read it").check()
    page.get_by_role("button", name="Create collection").click()
    page.wait_for_url(url + "/c/reader/thesis-chapter-2")
    assert page.locator("h1").inner_text() == "Thesis <chapter 2>"

    page.goto(f"{url}/papers/{third.paper.arxiv_id}")
    page.get_by_label("Add to collection").select_option(label="Thesis <chapter 2>")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_selector("text=Added to “Thesis <chapter 2>”.")
    page.goto(f"{url}/papers/{second.paper.arxiv_id}")
    page.get_by_label("Add to collection").select_option(label="Thesis <chapter 2>")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_selector("text=Added to")

    page.goto(url + "/c/reader/thesis-chapter-2")
    item = CollectionItem.objects.get(collection__slug="thesis-chapter-2", paper=third.paper)
    page.locator(f"#item-{item.pk} summary", has_text="Add a note").click()
    page.get_by_label(f"Note on {third.paper.title}").fill("Read §3 first & cite it.")
    page.locator(f"#item-{item.pk}").get_by_role("button", name="Save note").click()
    page.wait_for_selector(f"#item-{item.pk} .note")
    assert page.locator(f"#item-{item.pk} .note").inner_text() == "Read §3 first & cite it."
    page.get_by_role("button", name=f"Move down: {third.paper.title}").click()
    page.wait_for_load_state("load")
    assert [
        i.paper_id for i in CollectionItem.objects.filter(collection__slug="thesis-chapter-2")
    ] == [second.paper.pk, third.paper.pk]

    with page.expect_download() as bib:
        page.get_by_role("link", name="BibTeX (.bib)").click()
    path = tmp_path / bib.value.suggested_filename
    bib.value.save_as(path)
    assert path.name == "thesis-chapter-2.bib"
    entries = bibtexparser.parse_string(path.read_text()).entries
    assert [e["eprint"] for e in entries] == [second.paper.arxiv_id, third.paper.arxiv_id]
    assert entries[0]["title"] == "Schrödinger bridges for {BERT}"
    assert entries[1]["note"] == "Read §3 first & cite it."
    with page.expect_download() as csl:
        page.get_by_role("link", name="CSL-JSON (.json)").click()
    items = json.loads(csl.value.path().read_text(encoding="utf-8"))
    assert [i["id"] for i in items] == [second.paper.arxiv_id, third.paper.arxiv_id]
    context.close()
    assert Collection.objects.get(slug="thesis-chapter-2").is_public

    # the pages, both widths, light and dark; a visitor reads the public collection
    problems = []
    for name, path_ in {
        "your-papers-saved": "/saved",
        "your-papers-collections": "/collections",
        "your-papers-collection": "/c/reader/thesis-chapter-2",
        "your-papers-paper": f"/papers/{third.paper.arxiv_id}",
        "your-papers-trending": "/papers/trending",
    }.items():
        problems += shoot(browser, url + path_, name, storage_state=reader_state)
    problems += shoot(browser, url + "/c/reader/thesis-chapter-2", "your-papers-public")
    assert problems == []


def test_save_from_search_and_hide_what_is_saved(live_server, browser, add_papers):
    from dailypapers.catalog.models import Paper
    from dailypapers.search import keeper

    add_papers(12)
    keeper.index_pending()
    reader = make_user("reader")
    url = live_server.url
    context, page = _log_in(browser, url, 390)
    page.goto(f"{url}/search?q=earlier+work")
    page.wait_for_selector(".search-count")
    first = page.locator(".search-result").first
    arxiv_id = first.locator("h2 a").get_attribute("href").removeprefix("/papers/")
    paper = Paper.objects.get(arxiv_id=arxiv_id)
    page.evaluate("window.notReloaded = true")
    first.get_by_role("button", name=re.compile("^Save to your reading list")).click()
    page.wait_for_selector(f"form[action='/saved/papers/{paper.pk}'] button[aria-pressed='true']")
    assert page.evaluate("window.notReloaded") is True
    assert CollectionItem.objects.filter(collection__owner=reader, paper=paper).exists()
    state = context.storage_state()
    page.get_by_label("Hide papers I\u2019ve saved").check()
    page.get_by_role("button", name="Update", exact=True).click()
    page.wait_for_selector("text=1 paper hidden")
    assert page.locator(f"a[href='/papers/{arxiv_id}']").count() == 0
    context.close()
    problems = shoot(
        browser, f"{url}/search?q=earlier+work", "your-papers-search", storage_state=state
    )
    assert problems == []
