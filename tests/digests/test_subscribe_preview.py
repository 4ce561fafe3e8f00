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
        assert f'sandbox srcdoc="{escape(result.issue.html)}"' in html
        assert f"<pre>{escape(result.issue.text)}</pre>" in html


def test_an_empty_catalogue_previews_nothing_new(client, cast, sub):
    for html in pages(client, cast, sub):
        assert "Nothing new yet" in html and "<iframe" not in html


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
