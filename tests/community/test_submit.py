"""Submitting a paper: every rule, each refusal explained; a paper is featured once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dailypapers.accounts.models import Profile
from dailypapers.community import fetch
from dailypapers.community.models import DailyEntry
from dailypapers.sources.http import SourceError

from .helpers import make_entry, make_paper

pytestmark = pytest.mark.django_db


def submit(client, text):
    return client.post("/submit", {"id": text})


def test_visitor_is_sent_to_log_in(client):
    response = client.get("/submit")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_owner_submits_by_url(client, cast):
    paper = make_paper()
    client.force_login(cast.owner)
    response = submit(client, f"https://arxiv.org/abs/{paper.arxiv_id}v2")
    assert response.status_code == 302
    entry = DailyEntry.objects.get(paper=paper)
    assert entry.submitted_by == cast.owner
    assert entry.day == timezone.localdate()
    assert entry.source == "member"
    page = client.get(response["Location"]).content.decode()
    assert "is in today&#x27;s papers" in page


def test_stranger_with_unconfirmed_email_is_refused(client, cast):
    paper = make_paper()
    client.force_login(cast.stranger)
    response = submit(client, paper.arxiv_id)
    assert response.status_code == 400
    assert "confirm your email address" in response.content.decode()
    assert not DailyEntry.objects.exists()


def test_old_papers_are_refused_with_their_age(client, cast):
    paper = make_paper(submitted=timezone.now() - timedelta(days=30))
    client.force_login(cast.owner)
    page = submit(client, paper.arxiv_id).content.decode()
    assert "in the last 14 days" in page
    assert "30 days ago" in page


def test_window_is_configurable(client, cast, settings):
    settings.SUBMIT_WINDOW_DAYS = 60
    paper = make_paper(submitted=timezone.now() - timedelta(days=30))
    client.force_login(cast.owner)
    assert submit(client, paper.arxiv_id).status_code == 302


def test_daily_cap(client, cast, settings):
    settings.SUBMIT_DAILY_CAP = 2
    client.force_login(cast.owner)
    for _ in range(2):
        assert submit(client, make_paper().arxiv_id).status_code == 302
    response = submit(client, make_paper().arxiv_id)
    assert response.status_code == 400
    assert "already submitted 2 papers today" in response.content.decode()
    client.force_login(cast.member)  # the cap is per member
    assert submit(client, make_paper().arxiv_id).status_code == 302


def test_a_paper_is_featured_once(client, cast):
    entry = make_entry(day=timezone.localdate() - timedelta(days=1))
    client.force_login(cast.member)
    response = submit(client, entry.paper.arxiv_id)
    assert response.status_code == 400
    assert "already featured on" in response.content.decode()
    assert DailyEntry.objects.count() == 1


def test_suspended_member_is_refused(client, cast):
    Profile.objects.create(user=cast.owner, suspended_at=timezone.now())
    client.force_login(cast.owner)
    response = submit(client, make_paper().arxiv_id)
    assert "suspended" in response.content.decode()
    assert not DailyEntry.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("not an id", "not an arXiv id"),
        ("<script>alert(1)</script>", "not an arXiv id"),
        ("x" * 500, "far too long"),
    ],
)
def test_bad_ids_are_explained_and_shown_inert(client, cast, text, message):
    client.force_login(cast.owner)
    page = submit(client, text).content.decode()
    assert message in page
    assert "<script>alert(1)</script>" not in page


def test_unknown_paper_and_unreachable_arxiv(client, cast, monkeypatch):
    client.force_login(cast.owner)
    monkeypatch.setattr(fetch, "fetch_record", lambda arxiv_id: None)
    assert "arXiv has no paper" in submit(client, "2510.00009").content.decode()

    def down(arxiv_id):
        raise SourceError("down")

    monkeypatch.setattr(fetch, "fetch_record", down)
    assert "could not be reached" in submit(client, "2510.00009").content.decode()


def test_submit_is_rate_limited(client, cast, settings):
    settings.RATE_SUBMIT = "2/h"
    settings.SUBMIT_DAILY_CAP = 0
    client.force_login(cast.owner)
    submit(client, make_paper().arxiv_id)
    submit(client, make_paper().arxiv_id)
    response = submit(client, make_paper().arxiv_id)
    assert response.status_code == 429
    assert "2 per hour" in response.content.decode()


def test_submit_needs_csrf(cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.owner)
    assert client.post("/submit", {"id": make_paper().arxiv_id}).status_code == 403
    assert not DailyEntry.objects.exists()
