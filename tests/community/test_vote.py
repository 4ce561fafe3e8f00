"""Upvotes: one per user and paper, toggling, htmx and plain forms, no GET, CSRF, limits."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from dailypapers.accounts.models import Profile
from dailypapers.community.models import DailyEntry, Vote

from .helpers import make_entry

pytestmark = pytest.mark.django_db


def test_member_upvotes_and_takes_it_back_with_the_plain_form(client, cast):
    entry = make_entry()
    client.force_login(cast.member)
    response = client.post(f"/vote/{entry.pk}", {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert DailyEntry.objects.get(pk=entry.pk).upvotes == 1
    assert Vote.objects.filter(user=cast.member, paper=entry.paper).exists()
    page = client.get("/").content.decode()
    assert 'aria-pressed="true"' in page
    client.post(f"/vote/{entry.pk}")
    assert DailyEntry.objects.get(pk=entry.pk).upvotes == 0
    assert not Vote.objects.exists()


def test_explicit_direction_is_idempotent(client, cast):
    entry = make_entry()
    client.force_login(cast.member)
    for _ in range(3):
        client.post(f"/vote/{entry.pk}", {"direction": "up"})
    assert DailyEntry.objects.get(pk=entry.pk).upvotes == 1
    for _ in range(2):
        client.post(f"/vote/{entry.pk}", {"direction": "down"})
    assert DailyEntry.objects.get(pk=entry.pk).upvotes == 0


def test_htmx_gets_the_button_back(client, cast):
    entry = make_entry()
    client.force_login(cast.member)
    response = client.post(f"/vote/{entry.pk}", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<form class="vote"')
    assert 'aria-pressed="true"' in body
    assert '<span class="count">1</span>' in body


def test_one_vote_per_user_and_paper_in_the_schema(cast):
    entry = make_entry()
    Vote.objects.create(user=cast.member, paper=entry.paper)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(user=cast.member, paper=entry.paper)


def test_visitor_is_sent_to_log_in(client):
    entry = make_entry()
    response = client.post(f"/vote/{entry.pk}")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    htmx = client.post(f"/vote/{entry.pk}", HTTP_HX_REQUEST="true")
    assert "/accounts/login/" in htmx["HX-Redirect"]
    assert DailyEntry.objects.get(pk=entry.pk).upvotes == 0


def test_get_changes_nothing(client, cast):
    entry = make_entry()
    client.force_login(cast.member)
    assert client.get(f"/vote/{entry.pk}").status_code == 405
    assert DailyEntry.objects.get(pk=entry.pk).upvotes == 0


def test_vote_needs_csrf(cast):
    entry = make_entry()
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.member)
    assert client.post(f"/vote/{entry.pk}").status_code == 403
    assert not Vote.objects.exists()


def test_suspended_member_cannot_vote(client, cast):
    entry = make_entry()
    Profile.objects.create(user=cast.member, suspended_at=timezone.now())
    client.force_login(cast.member)
    assert client.post(f"/vote/{entry.pk}").status_code == 403
    assert not Vote.objects.exists()


def test_unfeatured_paper_cannot_be_voted(client, cast):
    entry = make_entry()
    DailyEntry.objects.filter(pk=entry.pk).update(hidden=True)
    client.force_login(cast.member)
    assert client.post(f"/vote/{entry.pk}").status_code == 409


def test_votes_are_rate_limited(client, cast, settings):
    settings.RATE_VOTE = "3/m"
    entry = make_entry()
    client.force_login(cast.member)
    codes = [client.post(f"/vote/{entry.pk}").status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]


def test_the_vote_verb_itself_refuses_a_suspended_member(cast):
    """The rule lives in the domain verb, as for comments and submissions (not in a view)."""
    from dailypapers.community.votes import VoteRefused, toggle_vote

    entry = make_entry()
    Profile.objects.create(user=cast.member, suspended_at=timezone.now())
    with pytest.raises(VoteRefused, match="suspended") as refused:
        toggle_vote(cast.member, entry)
    assert refused.value.status == 403
    assert not Vote.objects.exists()
