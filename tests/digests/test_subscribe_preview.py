"""The preview of the next issue on the manage and settings pages: the subject, the HTML part
in a sandboxed frame (no scripts), the text part as it is. The issue comes from
``dailypapers.digests.compose.preview``; until that exists the pages say so."""

from __future__ import annotations

import importlib.util
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from django.utils.html import escape

from dailypapers.digests import links, services
from dailypapers.digests.models import Subscription
from tests.community.helpers import make_entry

pytestmark = pytest.mark.django_db

HAS_COMPOSE = importlib.util.find_spec("dailypapers.digests.compose") is not None
needs_compose = pytest.mark.skipif(not HAS_COMPOSE, reason="the composer is not there yet")


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


@needs_compose
def test_the_preview_shows_the_next_issue_as_it_will_be_sent(client, cast, sub):
    for _ in range(3):
        make_entry()
    result = services.preview(sub)
    assert result.available
    for html in pages(client, cast, sub):
        assert "Your next issue" in html
        if result.issue is None:
            assert "Nothing new yet" in html
            continue
        assert escape(result.issue.subject) in html
        assert f'sandbox srcdoc="{escape(result.issue.html)}"' in html
        assert f"<pre>{escape(result.issue.text)}</pre>" in html


@needs_compose
def test_an_empty_catalogue_previews_nothing_new(client, cast, sub):
    for html in pages(client, cast, sub):
        assert "Nothing new yet" in html and "<iframe" not in html


@pytest.mark.skipif(HAS_COMPOSE, reason="the composer is there")
def test_without_the_composer_the_pages_say_the_preview_is_not_ready(client, cast, sub):
    for html in pages(client, cast, sub):
        assert "The preview is not available yet." in html


def test_the_frame_may_show_inline_styles_but_never_run_scripts(client, cast, sub):
    response = client.get(urlsplit(links.manage_url(sub)).path)
    policy = dict(
        d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";") if d.strip()
    )
    assert policy["style-src-attr"] == "'unsafe-inline'"
    assert policy["script-src"] == "'self'"
    # other pages keep the strict policy
    assert "unsafe-inline" not in client.get("/digest/subscribe")["Content-Security-Policy"]


def test_no_preview_for_an_unsubscribed_address(client, sub):
    services.unsubscribe(sub)
    html = client.get(urlsplit(links.manage_url(sub)).path).content.decode()
    assert "Your next issue" not in html
