""" "For you" in Chromium: a reader with saved papers sees picks with their reasons, says
"not interested" (the card goes, without a reload) and "more like this", at 390 and 1440 px;
the page and the first visit's page photographed, light and dark, and scanned by axe-core."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dailypapers.catalog.models import Author, Paper
from dailypapers.catalog.records import PaperRecord
from dailypapers.catalog.upsert import upsert_papers
from dailypapers.library.models import Collection, CollectionItem, Feedback, Follow
from dailypapers.search import keeper
from tests.community.helpers import make_entry, make_user
from tests.fixtures import TOPICS

from .conftest import ARTIFACTS, open_menu, shoot

pytestmark = pytest.mark.django_db(transaction=True)

_numbers = iter(range(40_000, 99_999))


def make(topic: int, days_ago: float, n: int, **overrides: Any) -> list[str]:
    title, category = TOPICS[topic]
    records = []
    for _ in range(n):
        i = next(_numbers)
        values: dict[str, Any] = {
            "arxiv_id": f"2501.{i:05d}",
            "version": 1,
            "title": f"{title}, part {i}",
            "abstract": f"We study {title.lower()}. Variant {i} improves on earlier work.",
            "authors": ["Ada Lovelace", "Alan Turing"],
            "categories": [category],
            "submitted": timezone.now() - timedelta(days=days_ago),
            "repo_url": "https://github.com/example/code" if i % 3 == 0 else None,
        }
        values.update(overrides)
        records.append(PaperRecord(**values))
    upsert_papers(records, source="test")
    return [r.arxiv_id for r in records]


def signed_in(browser: Any, url: str, username: str, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", "a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    return context, page


def test_picks_with_reasons_and_feedback(live_server, browser, search_settings):
    url = live_server.url
    library = make(4, 60, 3) + make(3, 60, 3)  # quantum error correction, galaxy clusters
    for topic in range(6):
        make(topic, 2, 5)
    make(5, 1, 2, authors=["Barbara Liskov"])
    keeper.index_pending()
    make_entry(title="A trending paper about graphs")
    problems = []
    for width in (390, 1440):
        user = make_user(f"reader{width}")
        reading = Collection.objects.create(
            owner=user, name="Reading list", slug="reading-list", is_reading_list=True
        )
        for n, pid in enumerate(library):
            CollectionItem.objects.create(
                collection=reading, paper=Paper.objects.get(arxiv_id=pid), position=n
            )
        Follow.objects.create(
            user=user, kind=Follow.Kind.AUTHOR, author=Author.objects.get(name="Barbara Liskov")
        )
        context, page = signed_in(browser, url, user.username, width)
        open_menu(page)
        page.get_by_role("link", name="For you", exact=True).click()
        page.wait_for_selector(".pick")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        reasons = page.locator(".pick .reasons").all_inner_texts()
        assert reasons and all(r.strip() for r in reasons), "every pick says why"
        assert any(r.startswith("Like ") for r in reasons)
        assert any("By Barbara Liskov" in r for r in reasons)
        page.screenshot(path=str(ARTIFACTS / f"for-you-picks-{width}.png"))

        page.evaluate("window.notReloaded = true")
        cards = page.locator("li.pick")
        before = cards.count()
        first = cards.first
        first_id = first.get_attribute("id")
        first.get_by_role("button", name="Not interested").click()
        page.wait_for_selector(f"#{first_id}.pick-hidden")
        assert cards.count() == before - 1
        assert "will not come back" in page.inner_text(f"#{first_id}")
        second = cards.first
        second.get_by_role("button", name="More like this").click()
        second.locator(".pick-noted").wait_for()
        assert page.evaluate("window.notReloaded") is True
        assert sorted(Feedback.objects.filter(user=user).values_list("value", flat=True)) == [
            "less",
            "more",
        ]
        page.screenshot(path=str(ARTIFACTS / f"for-you-feedback-{width}.png"))

        # the next load: the dismissed paper is gone for good
        page.reload()
        page.wait_for_selector(".pick")
        assert page.locator(f"#{first_id}").count() == 0
        state = context.storage_state()
        context.close()
        if width == 1440:
            problems += shoot(browser, f"{url}/for-you", "for-you", storage_state=state)

    newcomer = make_user("newcomer")
    context, page = signed_in(browser, url, newcomer.username, 1440)
    state = context.storage_state()
    context.close()
    problems += shoot(browser, f"{url}/for-you", "for-you-start", storage_state=state)
    problems += shoot(browser, f"{url}/for-you?author=ada", "for-you-authors", storage_state=state)
    problems += shoot(browser, f"{url}/for-you", "for-you-visitor")
    assert problems == []
