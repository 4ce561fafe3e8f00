"""The manage page and one-click unsubscribe, reached from a mail's signed links with no log-in."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from dailypapers.catalog.models import Category
from dailypapers.digests import links, services
from dailypapers.digests.models import OutboxMessage, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def sub() -> Subscription:
    now = timezone.now()
    return Subscription.objects.create(
        email="reader@example.org", confirmed_at=now, last_issue_date=now.date()
    )


def manage_path(sub: Subscription) -> str:
    return urlsplit(links.manage_url(sub)).path


def unsubscribe_path(sub: Subscription) -> str:
    return urlsplit(links.unsubscribe_url(sub)).path


def options(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "action": "save",
        "frequency": "weekly",
        "weekday": "3",
        "hour": "18",
        "time_zone": "America/New_York",
    }
    values.update(overrides)
    return values


def test_the_manage_page_needs_no_log_in_and_changes_persist(client, sub):
    Category.objects.create(code="cs.LG")
    Category.objects.create(code="cs.CL")
    page = client.get(manage_path(sub))
    assert page.status_code == 200
    html = page.content.decode()
    assert "reader@example.org" in html and 'value="Pacific/Kiritimati"' in html
    response = client.post(manage_path(sub), options(categories=["cs.LG", "cs.CL"]))
    assert response.status_code == 302 and response["Location"] == manage_path(sub)
    sub.refresh_from_db()
    assert (sub.frequency, sub.weekday, sub.hour, sub.time_zone) == (
        "weekly",
        3,
        18,
        "America/New_York",
    )
    assert sorted(c.code for c in sub.categories.all()) == ["cs.CL", "cs.LG"]
    assert "Saved." in client.get(manage_path(sub)).content.decode()
    # none chosen: every category
    client.post(manage_path(sub), options())
    assert not sub.categories.exists()


def test_a_new_hour_never_brings_a_second_issue_for_a_date(sub):
    now = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    sub.last_issue_date = dt.date(2026, 3, 2)  # today's went at 07:00
    sub.save()
    services.change(sub, services.Options(hour=12), now=now)
    sub.refresh_from_db()
    assert sub.last_issue_date == dt.date(2026, 3, 2)
    # yesterday's was the last; moving the hour to one already past today waits for tomorrow
    sub.last_issue_date = dt.date(2026, 3, 1)
    sub.save()
    services.change(sub, services.Options(hour=8), now=now)
    sub.refresh_from_db()
    assert sub.last_issue_date == dt.date(2026, 3, 2)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("hour", "seven", "Choose an hour from 00:00 to 23:00."),
        ("hour", "24", "Choose an hour from 00:00 to 23:00."),
        ("hour", "-1", "Choose an hour from 00:00 to 23:00."),
        ("time_zone", "Mars/Olympus_Mons", "Choose a time zone from the list"),
        ("time_zone", "../../etc/passwd", "Choose a time zone from the list"),
        ("time_zone", "x" * 5000, "Choose a time zone from the list"),
        ("weekday", "9", "Choose a day of the week."),
        ("frequency", "hourly", "Choose daily or weekly."),
        ("categories", "no.such", "Choose categories from the list."),
    ],
)
def test_bad_options_are_clear_errors(client, sub, field, value, error):
    response = client.post(manage_path(sub), options(**{field: value}))
    assert response.status_code == 400
    assert error in response.content.decode()
    sub.refresh_from_db()
    assert (sub.frequency, sub.hour, sub.time_zone) == ("daily", 7, "UTC")


def test_a_nul_byte_is_refused(client, sub):
    response = client.post(manage_path(sub), options(time_zone="UTC\x00"))
    assert response.status_code == 400
    sub.refresh_from_db()
    assert sub.time_zone == "UTC"


def test_an_unknown_action_changes_nothing(client, sub):
    assert client.post(manage_path(sub), {"action": "delete-everything"}).status_code == 400
    sub.refresh_from_db()
    assert sub.is_active


def test_pause_resume_and_leave_from_the_manage_page(client, sub):
    client.post(manage_path(sub), {"action": "pause"})
    sub.refresh_from_db()
    assert sub.paused_at is not None and not sub.is_active
    page = client.get(manage_path(sub)).content.decode()
    assert "no digests until you resume" in page and "kept bouncing" not in page
    client.post(manage_path(sub), {"action": "resume"})
    sub.refresh_from_db()
    assert sub.paused_at is None and sub.is_active
    client.post(manage_path(sub), {"action": "leave"})
    sub.refresh_from_db()
    assert sub.unsubscribed_at is not None
    page = client.get(manage_path(sub)).content.decode()
    assert "You are unsubscribed" in page and "Resubscribe" in page
    client.post(manage_path(sub), {"action": "resubscribe"})
    sub.refresh_from_db()
    assert sub.is_active  # the link came in the reader's mail: confirmed already
    assert not OutboxMessage.objects.exists()


def test_resubscribing_an_unconfirmed_address_sends_its_confirmation(client):
    sub = Subscription.objects.create(email="new@example.org", unsubscribed_at=timezone.now())
    client.post(manage_path(sub), {"action": "resubscribe"})
    sub.refresh_from_db()
    assert sub.unsubscribed_at is None and sub.confirmed_at is None
    assert list(OutboxMessage.objects.values_list("kind", flat=True)) == ["confirm"]


def test_a_pause_after_bounces_is_explained(client, sub):
    sub.paused_at = timezone.now()
    sub.hard_bounces = 3
    sub.paused_reason = "3 permanent failures in a row: 550 5.1.1 mailbox unavailable"
    sub.save()
    page = client.get(manage_path(sub)).content.decode()
    assert "kept bouncing" in page and "550 5.1.1 mailbox unavailable" in page
    client.post(manage_path(sub), {"action": "resume"})
    sub.refresh_from_db()
    assert sub.is_active and sub.hard_bounces == 0 and sub.paused_reason == ""


@pytest.mark.parametrize(
    "signed",
    [
        "1",
        "1:forged",
        "999999:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "x" * 5000,
        "\u00e9:\u00e9",
    ],
)
def test_forged_or_garbled_links_are_a_clear_404(client, sub, signed):
    for path in (f"/digest/manage/{signed}", f"/digest/unsubscribe/{signed}"):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 404, path
            assert "This link is not valid" in response.content.decode()
    sub.refresh_from_db()
    assert sub.is_active


def test_another_subscriptions_signature_does_not_fit(client, sub):
    other = Subscription.objects.create(email="other@example.org", confirmed_at=timezone.now())
    signed = links.sign(other)
    forged = f"{sub.pk}:{signed.split(':', 1)[1]}"
    assert client.post(f"/digest/unsubscribe/{forged}").status_code == 404
    sub.refresh_from_db()
    assert sub.unsubscribed_at is None


def test_the_unsubscribe_page_is_one_button(client, sub):
    page = client.get(unsubscribe_path(sub))
    assert page.status_code == 200
    html = page.content.decode()
    assert "reader@example.org" in html and ">Unsubscribe</button>" in html
    sub.refresh_from_db()
    assert sub.unsubscribed_at is None  # a GET changes nothing


def test_one_click_unsubscribe_without_cookie_or_csrf_token(sub):
    """RFC 8058: the mail provider POSTs the body below to the https List-Unsubscribe link."""
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(
        unsubscribe_path(sub),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "You are unsubscribed" in html
    assert f'href="{manage_path(sub)}"' in html and "Resubscribe" in html
    sub.refresh_from_db()
    assert sub.unsubscribed_at is not None and not sub.is_active
    first = sub.unsubscribed_at
    assert (
        provider.post(
            unsubscribe_path(sub),
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        ).status_code
        == 200
    )
    sub.refresh_from_db()
    assert sub.unsubscribed_at == first  # twice: the first time stands


def test_the_link_in_the_mail_headers_is_the_page(sub):
    header = links.unsubscribe_headers(sub)["List-Unsubscribe"]
    https = header.split(",")[0].strip().strip("<>")
    assert urlsplit(https).path == unsubscribe_path(sub)
    assert Client().post(urlsplit(https).path).status_code == 200
