"""Digests in Chromium: subscribe from the home page, follow the confirmation link from the
outbox row, choose the hour and zone, unsubscribe and come back; a member's settings page with
the preview of the next issue. At 390 and 1440 px; screenshots of each step in the temp folder
(light and dark of the subscribe and manage pages in test-artifacts/screenshots), every
page scanned with axe-core."""

from __future__ import annotations

import email
import re
import tempfile
from email.policy import default
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dailypapers.digests import links
from dailypapers.digests.models import OutboxMessage, Subscription
from tests.community.helpers import make_entry, make_user

from .conftest import axe_violations, shoot

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(tempfile.gettempdir()) / "dailypapers-digest-screenshots"


def snap(page, name: str, width: int, problems: list[dict[str, object]]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    problems += [{**v, "page": name, "width": width} for v in axe_violations(page)]


def confirm_link(row: OutboxMessage) -> str:
    msg = email.message_from_bytes(row.raw(), policy=default)
    text = msg.get_body(("plain",))
    assert text is not None
    found = re.search(r"https?://\S+/digest/confirm/\S+", text.get_content())
    assert found, text.get_content()
    return found.group(0)


@pytest.mark.parametrize("width", [390, 1440])
def test_subscribe_confirm_manage_unsubscribe(live_server, browser, settings, width):
    url = live_server.url
    settings.SITE_URL = url
    make_entry(title="Sparse attention for long documents")
    problems: list[dict[str, object]] = []
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()

    page.goto(url + "/")
    box = page.locator(".subscribe-box")
    assert "Get trending papers in your inbox" in box.inner_text()
    snap(page, "home-with-box", width, problems)
    page.fill("#subscribe-email", "Reader@Example.org")
    page.select_option("#subscribe-frequency", "weekly")
    box.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(url + "/digest/check-your-inbox")
    assert page.locator("h1").inner_text() == "Check your inbox"
    snap(page, "check-inbox", width, problems)

    sub = Subscription.objects.get()
    assert sub.email == "reader@example.org" and sub.frequency == "weekly"
    row = OutboxMessage.objects.get()
    assert row.kind == "confirm"

    page.goto(confirm_link(row))
    snap(page, "confirm", width, problems)
    sub.refresh_from_db()
    assert sub.confirmed_at is None  # opening the link confirms nothing
    page.get_by_role("button", name="Confirm my address").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "You are subscribed"
    snap(page, "confirmed", width, problems)
    sub.refresh_from_db()
    assert sub.is_active

    page.get_by_role("link", name="Choose the time, zone and categories").click()
    page.wait_for_url(url + links.MANAGE_PATH.format(signed=links.sign(sub)))
    page.select_option("#id_hour", "18")
    page.select_option("#id_time_zone", "Pacific/Auckland")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("load")
    assert "Saved." in page.locator(".messages").inner_text()
    snap(page, "manage", width, problems)
    sub.refresh_from_db()
    assert (sub.hour, sub.time_zone) == (18, "Pacific/Auckland")

    page.goto(url + urlsplit(links.unsubscribe_url(sub)).path)
    snap(page, "unsubscribe", width, problems)
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "You are unsubscribed"
    snap(page, "unsubscribed", width, problems)
    sub.refresh_from_db()
    assert sub.unsubscribed_at is not None

    page.get_by_role("link", name="Resubscribe").click()
    page.get_by_role("button", name="Resubscribe").click()
    page.wait_for_load_state("load")
    assert "Welcome back" in page.locator(".messages").inner_text()
    sub.refresh_from_db()
    assert sub.is_active and OutboxMessage.objects.count() == 1
    context.close()
    if width == 1440:  # light and dark, both widths, for the pages a visitor sees
        problems += shoot(browser, url + "/digest/subscribe", "digest-subscribe")
        problems += shoot(
            browser, url + links.MANAGE_PATH.format(signed=links.sign(sub)), "digest-manage"
        )
    assert problems == []


def log_in(browser, url: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_login", "reader")
    page.fill("#id_password", "a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    return context, page


@pytest.mark.parametrize("width", [390, 1440])
def test_member_settings(live_server, browser, width):
    url = live_server.url
    make_user("reader")
    problems: list[dict[str, object]] = []
    context, page = log_in(browser, url, width)
    page.goto(url + "/u/reader")
    page.get_by_role("link", name="Settings", exact=True).click()
    page.wait_for_url(url + "/settings/email")
    snap(page, "settings-new", width, problems)
    page.select_option("#id_time_zone", "America/Sao_Paulo")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state("load")
    assert "Subscribed" in page.locator(".messages").inner_text()
    sub = Subscription.objects.get()
    assert sub.email == "reader@example.org" and sub.is_active
    assert not OutboxMessage.objects.exists()  # allauth verified the address
    page.uncheck("#replies")
    page.locator("form:has(#replies)").get_by_role("button", name="Save").click()
    page.wait_for_load_state("load")
    assert not page.is_checked("#replies")
    snap(page, "settings", width, problems)
    context.close()
    assert problems == []


@pytest.mark.parametrize("width", [390, 1440])
def test_the_preview_of_the_next_issue(live_server, browser, width):
    from dailypapers.digests import services

    url = live_server.url
    for i in range(3):
        make_entry(title=f"Sparse attention for long documents, part {i}")
    make_user("reader")
    problems: list[dict[str, object]] = []
    context, page = log_in(browser, url, width)
    page.goto(url + "/settings/email")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state("load")
    issue = services.preview(Subscription.objects.get()).issue
    section = page.locator(".digest-preview")
    assert issue is not None
    assert issue.subject in section.locator(".preview-subject").inner_text()
    frame = page.locator("iframe.preview-html")
    assert "allow-scripts" not in (frame.get_attribute("sandbox") or "allow-scripts")
    body = page.frame_locator("iframe.preview-html").locator("body")
    assert "Sparse attention for long documents, part 2" in body.inner_text()
    # the mail's own inline styles apply in the frame: the card's title is bold
    title = page.frame_locator("iframe.preview-html").locator("a", has_text="part 2").first
    assert int(title.evaluate("e => getComputedStyle(e).fontWeight")) >= 600
    section.locator("summary").click()
    assert section.locator("pre").inner_text().strip() == issue.text.strip()
    snap(page, "preview", width, problems)
    context.close()
    assert problems == []
