"""The account pages, a missing page and a profile in Chromium: the site's layout at 390 and
1440 px in light and dark, no serious accessibility violations, and the remember-me checkbox
in line with its label and the fields above it."""

from __future__ import annotations

import pytest

from tests.community.helpers import make_entry, make_user

from .conftest import shoot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [390, 1440])
def test_log_in_form_lines_up(live_server, browser, width):
    make_user("reader")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    field = page.locator("#id_login").bounding_box()
    box = page.locator("#id_remember").bounding_box()
    label = page.locator("label[for=id_remember]").bounding_box()
    assert field and box and label
    assert abs(box["x"] - field["x"]) < 2  # at the start of the column, not floating mid-way
    assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 4
    assert label["x"] > box["x"] + box["width"]  # beside it, on the same row
    page.fill("#id_login", "reader")
    page.fill("#id_password", "a-long-password-1")
    page.get_by_label("Remember me").check()
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "Logged in as reader." in page.locator(".messages").inner_text()
    context.close()


def test_pages_in_the_sites_layout(live_server, browser):
    url = live_server.url
    reader = make_user("reader")
    make_entry(by=reader, title=r"Attention in $O(n)$ time")
    make_entry(by=reader, title="A second paper of the reader's")
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_login", "reader")
    page.fill("#id_password", "a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")
    state = context.storage_state()
    page.goto(f"{url}/u/reader")
    assert page.get_by_role("link", name="Settings", exact=True).is_visible()
    assert page.locator("main .entry").count() == 2
    assert "Submitted by" not in page.locator("main").inner_text()
    page.goto(f"{url}/no/such/page")
    assert page.get_by_role("heading", name="Page not found").is_visible()
    search = page.get_by_role("search")
    assert search.get_attribute("action") == "/search"
    assert page.get_by_label("Search the papers").get_attribute("name") == "q"
    page.get_by_role("link", name="Today's papers").click()
    page.wait_for_url(f"{url}/")
    context.close()

    problems = []
    problems += shoot(browser, url + "/accounts/login/", "account-login")
    problems += shoot(browser, url + "/accounts/signup/", "account-signup")
    problems += shoot(browser, url + "/accounts/password/reset/", "account-password-reset")
    problems += shoot(browser, url + "/no/such/page", "not-found")
    problems += shoot(browser, url + "/u/reader", "profile-own", storage_state=state)
    problems += shoot(browser, url + "/u/reader", "profile")
    assert problems == [], problems
