"""The search page in Chromium: each filter sits by its label at 390 and 1440 px, light and
dark; the filters work from the keyboard; results follow them; axe-core finds nothing serious."""

from __future__ import annotations

import re

import pytest

from dailypapers.search import keeper

from .conftest import shoot

pytestmark = pytest.mark.django_db(transaction=True)

FILTERS = ["Categories", "Submitted from", "Submitted until", "Has code", "Sort by"]


def box(page, selector):
    found = page.locator(selector).bounding_box()
    assert found, selector
    return found


def test_search_filters_are_tidy_labelled_and_keyboard_usable(live_server, browser, add_papers):
    add_papers(12)  # three of them with code
    keeper.index_pending()
    url = f"{live_server.url}/search?q=earlier+work"

    for width in (390, 800, 1100, 1440):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(url + "&date_from=2025-01-01")  # a filter set: "Clear filters" shows too
        page.wait_for_selector(".search-count")
        assert "12 papers" in page.inner_text(".search-count")
        assert page.get_by_role("link", name="Clear filters").is_visible()

        # every control has its label, and the checkbox sits right beside its own
        for name in FILTERS:
            assert page.get_by_label(name, exact=True).is_visible(), name
        check, label = box(page, "#id_code"), box(page, "label[for=id_code]")
        assert 0 <= label["x"] - (check["x"] + check["width"]) <= 12, (width, check, label)
        middle = check["y"] + check["height"] / 2
        assert label["y"] <= middle <= label["y"] + label["height"], (width, check, label)
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways
        frame = box(page, ".search-filters")
        for control in page.locator(".search-filters :is(input, select, button, a)").all():
            edge = control.bounding_box()
            assert edge and edge["x"] + edge["width"] <= frame["x"] + frame["width"], width

        # Tab goes through the filters in reading order; Space ticks "Has code"
        page.focus("#id_q")
        order = []
        for _ in range(30):
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.id")
            if focused and focused not in order:
                order.append(focused)
            if focused == "id_sort":
                break
        assert [i for i in order if i.startswith("id_") and i != "id_q"] == [
            "id_cat",
            "id_date_from",
            "id_date_to",
            "id_code",
            "id_sort",
        ]
        page.focus("#id_code")
        page.keyboard.press("Space")
        page.wait_for_url(re.compile(r"code=on"))
        page.wait_for_function(
            "document.querySelector('.search-count').textContent.includes('3 papers')"
        )
        assert page.is_checked("#id_code")
        context.close()

    problems = shoot(browser, url, "search")
    problems += shoot(browser, url + "&cat=cs.LG&code=on&sort=date", "search-filtered")
    assert problems == []
