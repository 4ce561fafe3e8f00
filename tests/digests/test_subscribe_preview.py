"""The preview of the next issue on the manage and settings pages: the subject, the HTML part
in a sandboxed frame (no scripts), the text part as it is, from
``dailypapers.digests.compose.preview``."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from django.utils.html import escape

from dailypapers.digests import compose, links, services
from dailypapers.digests.models import Subscription
from tests.community.helpers import make_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def sub(cast) -> Subscription:
    return Subscription.objects.create(
        email="member@example.org", user=cast.member, confirmed_at=timezone.now()
    )


def pages(client, cast, sub: Subscription) -> list[str]:
    manage = client.get(urlsplit(links.manage_url(sub)).path)
    client.force_login(cast.member)
    settings_page = client.get("/settings/email")
    assert manage.status_code == settings_page.status_code == 200
    return [manage.content.decode(), settings_page.content.decode()]


def test_the_preview_shows_the_next_issue_as_it_will_be_sent(client, cast, sub):
    for _ in range(3):
        make_entry()
    result = services.preview(sub)
    assert result.day == compose.next_issue_date(sub)
    for html in pages(client, cast, sub):
        assert "Your next issue" in html
        assert result.issue is not None
        assert escape(result.issue.subject) in html
        assert f"<pre>{escape(result.issue.text)}</pre>" in html
        assert "<iframe" in html and 'sandbox="allow-popups' in html and "srcdoc" not in html
    # the frames' documents: the HTML part as it will be sent
    manage_frame = client.get(urlsplit(links.manage_url(sub)).path + "/preview")
    settings_frame = client.get("/settings/email/preview")  # logged in by pages()
    for frame in (manage_frame, settings_frame):
        assert frame.status_code == 200
        assert frame["Content-Type"] == "text/html; charset=utf-8"
        assert frame.content.decode() == result.issue.html


def test_an_empty_catalogue_previews_nothing_new(client, cast, sub):
    for html in pages(client, cast, sub):
        assert "Nothing new yet" in html and "<iframe" not in html


def directives(header: str) -> dict[str, str]:
    return dict(([*d.strip().split(" ", 1), ""])[:2] for d in header.split(";") if d.strip())


def test_the_frame_may_show_inline_styles_but_never_run_scripts(client, cast, sub):
    make_entry()
    page = client.get(urlsplit(links.manage_url(sub)).path)
    strict = directives(page["Content-Security-Policy"])
    assert "unsafe-inline" not in page["Content-Security-Policy"]  # the page itself: strict
    assert strict["frame-ancestors"] == "'none'" and page["X-Frame-Options"] == "DENY"
    frame = client.get(urlsplit(links.manage_url(sub)).path + "/preview")
    policy = directives(frame["Content-Security-Policy"])
    assert policy["default-src"] == "'none'" and policy["style-src"] == "'unsafe-inline'"
    assert "script-src" not in policy and policy["form-action"] == "'none'"
    assert policy["frame-ancestors"] == "'self'" and frame["X-Frame-Options"] == "SAMEORIGIN"
    assert policy["sandbox"].startswith("allow-popups")
    assert "allow-scripts" not in frame["Content-Security-Policy"]


def test_a_frame_for_a_forged_or_left_subscription_shows_nothing(client, sub):
    make_entry()
    assert client.get("/digest/manage/12:forged/preview").status_code == 404
    assert client.get("/settings/email/preview").status_code == 302  # log in first
    sub.unsubscribed_at = timezone.now()
    sub.save()
    assert client.get(urlsplit(links.manage_url(sub)).path + "/preview").status_code == 404
