"""The list pages on a phone and a desktop: a one-row header with a menu that opens without
JavaScript, at least three papers in the first 390x844 screen of a full day, the week
grouped by day, the month a page at a time; every page photographed at 390 and 1440 px,
light and dark, and scanned with axe-core."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.community.helpers import make_entry, make_user

from .conftest import ARTIFACTS, axe_violations, shoot

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
AUTHORS = [
    "Ada Lovelace",
    "Alan Turing",
    "Grace Hopper",
    "Emmy Noether",
    "Srinivasa Ramanujan",
    "Sofia Kovalevskaya",
    "John von Neumann",
    "Katherine Johnson",
    "Hermann Weyl",
    "Maryam Mirzakhani",
]
ABSTRACT = (
    "Large language models are increasingly used as agents that plan, call tools and "
    "write code. We study how their reliability depends on the length of the horizon, "
    r"show that errors compound as $O(\sqrt{T})$ under mild assumptions, and propose a "
    "simple verifier that halves the failure rate on three benchmarks without retraining."
)


def seed_day(day: date, count: int = 12) -> None:
    """A full day: long titles, ten authors each, long abstracts, a range of votes."""
    for n in range(count):
        make_entry(
            day=day,
            upvotes=40 - 3 * n,
            title=(
                f"Scaling test-time compute for long-horizon agents, part {n}: "
                r"when does planning with $k$-step lookahead beat direct answers?"
            ),
            abstract=ABSTRACT,
            authors=AUTHORS,
            categories=["cs.LG", "cs.CL"],
        )


def log_in_state(browser, url: str) -> dict:
    make_user("reader")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_login", "reader")
    page.fill("#id_password", "a-long-password-1")
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("load")
    state = context.storage_state()
    context.close()
    return state


def header_height(page) -> float:
    return page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")


def cards_in_first_screen(page) -> int:
    """Cards at least three quarters inside the first screen."""
    return page.evaluate(
        """() => {
          const h = window.innerHeight;
          return [...document.querySelectorAll('.entries > .entry')].filter((card) => {
            const r = card.getBoundingClientRect();
            const inside = Math.min(r.bottom, h) - Math.max(r.top, 0);
            return r.height > 0 && inside >= 0.75 * r.height;
          }).length;
        }"""
    )


@pytest.mark.parametrize("member", [False, True], ids=["visitor", "member"])
def test_phone_header_is_one_row_and_a_full_day_shows_three_papers(live_server, browser, member):
    url = live_server.url
    seed_day(timezone.localdate())
    state = log_in_state(browser, url) if member else None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for javascript in (True, False):
        context = browser.new_context(
            viewport=PHONE, storage_state=state, java_script_enabled=javascript
        )
        page = context.new_page()
        page.goto(url + "/")
        page.wait_for_load_state("load")
        assert header_height(page) < 64, header_height(page)  # was 128 px: three rows
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shown = cards_in_first_screen(page)
        suffix = "member" if member else "visitor"
        page.screenshot(path=str(ARTIFACTS / f"daily-first-screen-{suffix}-{javascript}.png"))
        assert shown >= 3, shown
        # the menu opens with a tap, with or without JavaScript, and its links work
        menu = page.locator(".nav-menu")
        assert menu.get_by_role("link", name="Trending").is_hidden()
        menu.locator("summary").click()
        assert menu.get_by_role("link", name="Trending").is_visible()
        page.screenshot(path=str(ARTIFACTS / f"menu-open-{suffix}-{javascript}.png"))
        assert not axe_violations(page) if javascript else True
        menu.get_by_role("link", name="Trending").click()
        page.wait_for_url(f"{url}/papers/trending")
        context.close()


def test_wide_header_shows_its_links_and_no_menu(live_server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert page.locator(".nav-menu").is_hidden()
    assert page.locator(".nav-wide").get_by_role("link", name="Trending").is_visible()
    assert header_height(page) < 64
    context.close()


def test_day_week_and_month_pages_at_both_widths_light_and_dark(live_server, browser):
    url = live_server.url
    monday = date(2026, 11, 23)
    seed_day(monday, 12)
    seed_day(monday + timedelta(days=2), 4)
    week_page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    week_page.goto(url + "/papers/week/2026-W48")
    headings = week_page.locator(".day-heading").all_inner_texts()
    assert [h.split(" ·")[0] for h in headings] == [
        "Monday 23 November 2026",
        "Wednesday 25 November 2026",
    ]
    assert week_page.get_by_role("link", name="All 12 papers of Monday →").is_visible()
    week_page.context.close()
    problems = []
    problems += shoot(browser, url + "/papers/date/2026-11-23", "list-day")
    problems += shoot(browser, url + "/papers/week/2026-W48", "list-week")
    problems += shoot(browser, url + "/papers/month/2026-11", "list-month")
    problems += shoot(browser, url + "/papers/month/2026-11?page=2", "list-month-2")
    problems += shoot(browser, url + "/papers/date/2099-01-01", "list-future-day")
    assert not problems, problems
