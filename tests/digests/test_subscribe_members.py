"""A member's email settings: the digest for their verified address (no confirmation mail),
personal picks, reply mails, the bounce notice."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from dailypapers.digests.models import MailPreference, OutboxMessage, Subscription

pytestmark = pytest.mark.django_db

URL = "/settings/email"


def options(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "action": "subscribe",
        "frequency": "daily",
        "weekday": "0",
        "hour": "6",
        "time_zone": "Pacific/Auckland",
        "personal_picks": "on",
    }
    values.update(overrides)
    return values


def test_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_member_subscribes_without_a_confirmation_mail(client, cast):
    client.force_login(cast.member)
    page = client.get(URL)
    assert page.status_code == 200
    assert "member@example.org" in page.content.decode()
    response = client.post(URL, options())
    assert response.status_code == 302
    sub = Subscription.objects.get()
    assert sub.email == "member@example.org" and sub.user == cast.member
    assert sub.is_active and sub.personal_picks and sub.time_zone == "Pacific/Auckland"
    assert sub.last_issue_date is not None
    assert not OutboxMessage.objects.exists()
    assert "Subscribed" in client.get(URL).content.decode()


def test_the_verified_primary_address_is_used(client, cast):
    EmailAddress.objects.filter(user=cast.member).update(primary=False)
    EmailAddress.objects.create(
        user=cast.member, email="Work@Example.org", verified=True, primary=True
    )
    client.force_login(cast.member)
    client.post(URL, options())
    assert Subscription.objects.get().email == "work@example.org"


def test_an_earlier_anonymous_subscription_becomes_the_members(client, cast):
    old = Subscription.objects.create(email="member@example.org", frequency="weekly")
    client.force_login(cast.member)
    client.post(URL, options(frequency="weekly", weekday="4"))
    old.refresh_from_db()
    assert old.user == cast.member and old.is_active and old.weekday == 4
    assert Subscription.objects.count() == 1


def test_an_unverified_member_cannot_subscribe(client, cast):
    client.force_login(cast.stranger)
    page = client.get(URL).content.decode()
    assert "Confirm your email address first" in page
    assert client.post(URL, options()).status_code == 400
    assert not Subscription.objects.exists()


def test_changes_picks_pause_and_leave(client, cast):
    client.force_login(cast.member)
    client.post(URL, options())
    client.post(URL, options(action="save", hour="21", personal_picks=""))
    sub = Subscription.objects.get()
    assert sub.hour == 21 and not sub.personal_picks
    client.post(URL, {"action": "pause"})
    sub.refresh_from_db()
    assert sub.paused_at is not None
    client.post(URL, {"action": "resume"})
    client.post(URL, {"action": "leave"})
    sub.refresh_from_db()
    assert sub.unsubscribed_at is not None
    page = client.get(URL).content.decode()
    assert ">Subscribe</button>" in page  # back to the sign-up form
    client.post(URL, options())
    sub.refresh_from_db()
    assert sub.is_active and not OutboxMessage.objects.exists()


def test_bad_options_are_clear_errors(client, cast):
    client.force_login(cast.member)
    response = client.post(URL, options(hour="noon", time_zone="Nowhere/Land"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose an hour" in html and "Choose a time zone" in html
    assert not Subscription.objects.exists()


def test_reply_mails_opt_out(client, cast):
    client.force_login(cast.member)
    assert 'id="replies" name="replies" checked' in client.get(URL).content.decode()
    client.post(URL, {"action": "replies"})  # unchecked: no field
    assert MailPreference.objects.get(user=cast.member).replies is False
    client.post(URL, {"action": "replies", "replies": "on"})
    assert MailPreference.objects.get(user=cast.member).replies is True


def test_the_bounce_notice(client, cast):
    Subscription.objects.create(
        email="member@example.org",
        user=cast.member,
        confirmed_at=timezone.now(),
        paused_at=timezone.now(),
        hard_bounces=3,
        paused_reason="3 permanent failures in a row: 550 no such user",
    )
    client.force_login(cast.member)
    page = client.get(URL).content.decode()
    assert "kept bouncing" in page and "550 no such user" in page


def test_the_profile_page_links_to_the_settings(client, cast):
    client.force_login(cast.member)
    assert f'href="{URL}"' in client.get("/u/member").content.decode()
    assert f'href="{URL}"' not in client.get("/u/owner").content.decode()
