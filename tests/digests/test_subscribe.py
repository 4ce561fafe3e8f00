"""The subscribe box: double opt-in, one confirmation mail through the outbox, nothing else
before the click, nothing revealed, bad input a clear error."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from dailypapers.digests import links, services
from dailypapers.digests.models import OutboxMessage, Subscription
from tests.community.helpers import make_entry

from .conftest import parsed, parts

pytestmark = pytest.mark.django_db


def subscribe(client: Client, address: str, **extra: str):
    return client.post("/digest/subscribe", {"email": address, **extra})


def test_the_box_is_on_the_home_page_and_every_list(client):
    make_entry()
    for url in ["/", "/papers/trending", "/papers/week", "/papers/month"]:
        page = client.get(url, follow=True)
        html = page.content.decode()
        assert page.status_code == 200, url
        assert "Get trending papers in your inbox" in html, url
        assert 'action="/digest/subscribe"' in html, url
    day = make_entry().day.isoformat()
    assert "Get trending papers in your inbox" in client.get(f"/papers/date/{day}").content.decode()


def test_subscribing_queues_one_confirmation_with_the_link_in_both_parts(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = subscribe(client, "  Reader@Example.ORG ", frequency="weekly")
    assert response.status_code == 302
    assert response["Location"] == "/digest/check-your-inbox"
    assert len(callbacks) == 1  # the sender is woken once the row commits
    sub = Subscription.objects.get()
    assert sub.email == "reader@example.org" and sub.frequency == "weekly"
    assert sub.confirmed_at is None and sub.confirm_sent_at is not None
    row = OutboxMessage.objects.get()
    assert row.kind == "confirm" and row.key == f"confirm:{sub.pk}:1"
    assert row.to_email == "reader@example.org" and row.subscription == sub
    msg = parsed(row)
    assert msg["To"] == "reader@example.org"
    assert "Confirm" in msg["Subject"]
    assert msg["Message-ID"].strip("<>") == row.message_id
    text, html = parts(row)
    url = links.confirm_url(sub)
    assert url in text and f'href="{url}"' in html
    page = client.get(response["Location"])
    assert "Check your inbox" in page.content.decode()


def test_confirming_takes_a_post_and_starts_at_the_next_chosen_hour(client):
    subscribe(client, "reader@example.org")
    sub = Subscription.objects.get()
    path = urlsplit(links.confirm_url(sub)).path
    assert path == f"/digest/confirm/{sub.confirm_token}"
    page = client.get(path)  # what a mail scanner does
    assert page.status_code == 200 and "Confirm my address" in page.content.decode()
    sub.refresh_from_db()
    assert sub.confirmed_at is None
    done = client.post(path)
    assert done.status_code == 200
    body = done.content.decode()
    assert "You are subscribed" in body
    assert links.MANAGE_PATH.format(signed=links.sign(sub)) in body
    sub.refresh_from_db()
    assert sub.confirmed_at is not None and sub.is_active
    assert sub.last_issue_date == services.first_issue_after(sub, sub.confirmed_at)
    assert client.post(path).status_code == 200  # twice: no harm
    assert OutboxMessage.objects.count() == 1  # still only the confirmation


@pytest.mark.parametrize(
    ("zone", "utc_hour", "local_today", "expected"),
    [
        # 06:00 UTC: 20:00 the day before in Honolulu (UTC-10), hour 7 passed: from tomorrow
        ("Pacific/Honolulu", 6, dt.date(2026, 3, 1), dt.date(2026, 3, 1)),
        # 06:00 UTC is 06:00 in UTC: hour 7 still to come today
        ("UTC", 6, dt.date(2026, 3, 2), dt.date(2026, 3, 1)),
        # 06:00 UTC is 19:00 in Auckland (UTC+13): passed, from tomorrow
        ("Pacific/Auckland", 6, dt.date(2026, 3, 2), dt.date(2026, 3, 2)),
    ],
)
def test_first_issue_at_the_next_hour_in_the_readers_zone(zone, utc_hour, local_today, expected):
    sub = Subscription.objects.create(email="z@example.org", time_zone=zone, hour=7)
    now = dt.datetime(2026, 3, 2, utc_hour, tzinfo=dt.UTC)
    assert now.astimezone(sub.zone).date() == local_today
    services.confirm(sub, now=now)
    sub.refresh_from_db()
    assert sub.last_issue_date == expected


def test_nothing_but_one_confirmation_goes_before_the_click():
    for _ in range(5):
        services.subscribe("reader@example.org")
    sub = Subscription.objects.get()
    assert list(OutboxMessage.objects.values_list("kind", flat=True)) == ["confirm"]
    # after ten minutes a fresh confirmation may go, with its own key
    later = timezone.now() + dt.timedelta(minutes=11)
    assert services.send_confirmation(sub, now=later)
    assert sorted(OutboxMessage.objects.values_list("key", flat=True)) == [
        f"confirm:{sub.pk}:1",
        f"confirm:{sub.pk}:2",
    ]
    assert not services.send_confirmation(sub, now=later + dt.timedelta(minutes=9))


def test_subscribing_again_reveals_nothing_and_changes_nothing(client):
    sub = Subscription.objects.create(
        email="known@example.org", frequency="weekly", confirmed_at=timezone.now()
    )
    known = subscribe(client, "KNOWN@example.org", frequency="daily")
    fresh = subscribe(client, "fresh@example.org", frequency="daily")
    assert (known.status_code, known["Location"]) == (fresh.status_code, fresh["Location"])
    assert client.get(known["Location"]).content == client.get(fresh["Location"]).content
    sub.refresh_from_db()
    assert sub.frequency == "weekly"  # a stranger cannot change someone's digest
    assert not OutboxMessage.objects.filter(subscription=sub).exists()
    assert OutboxMessage.objects.filter(to_email="fresh@example.org").count() == 1


def test_coming_back_after_leaving_needs_a_fresh_confirmation():
    sub = Subscription.objects.create(
        email="back@example.org", confirmed_at=timezone.now(), unsubscribed_at=timezone.now()
    )
    old_token = sub.confirm_token
    services.subscribe("back@example.org")
    sub.refresh_from_db()
    assert sub.unsubscribed_at is None and sub.confirmed_at is None
    assert sub.confirm_token != old_token
    assert OutboxMessage.objects.filter(subscription=sub, kind="confirm").count() == 1


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("", "Enter your email address."),
        ("not an address", "Enter a valid email address"),
        ("a\x00b@example.org", "NUL character"),  # the site refuses NUL in any request
        ("x" * 300 + "@example.org", "at most 254 characters"),
        ("reader@example.org\r\nBcc: victim@example.org", "Enter a valid email address"),
        ("<script>@example.org", "Enter a valid email address"),
    ],
)
def test_bad_addresses_are_clear_errors(client, address, error):
    response = subscribe(client, address)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Subscription.objects.exists() and not OutboxMessage.objects.exists()


def test_garbage_frequency_is_an_error_not_a_500(client):
    response = subscribe(client, "reader@example.org", frequency="hourly")
    assert response.status_code == 400
    assert "Choose daily or weekly." in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_box_needs_no_csrf_token():
    client = Client(enforce_csrf_checks=True)  # as on a page cached for every visitor
    assert subscribe(client, "reader@example.org").status_code == 302
    assert Subscription.objects.filter(email="reader@example.org").exists()


def test_subscribing_is_rate_limited_per_address(client, settings):
    settings.RATE_SUBSCRIBE = "3/h"
    for i in range(3):
        assert subscribe(client, f"r{i}@example.org").status_code == 302
    response = subscribe(client, "r9@example.org")
    assert response.status_code == 429
    assert "at most 3 per hour" in response.content.decode()
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert subscribe(other, "r9@example.org").status_code == 302


@pytest.mark.parametrize("token", ["nope", "x" * 500, "\u00e9\u00e9", "a;b,c=d"])
def test_unknown_confirm_tokens_are_a_clear_404(client, token):
    for method in (client.get, client.post):
        response = method(f"/digest/confirm/{token}")
        assert response.status_code == 404
        assert "This link is not valid" in response.content.decode()


@pytest.mark.parametrize(("token", "status"), [("%00", 400), ("..%2F..%2Fetc", 404)])
def test_mangled_confirm_paths_are_refused_before_the_view(client, token, status):
    assert client.post(f"/digest/confirm/{token}").status_code == status


def test_an_unsubscribed_address_cannot_be_revived_by_its_old_confirm_link(client):
    services.subscribe("reader@example.org")
    sub = Subscription.objects.get()
    services.unsubscribe(sub)
    assert client.post(f"/digest/confirm/{sub.confirm_token}").status_code == 404
    sub.refresh_from_db()
    assert sub.confirmed_at is None


def test_the_subscribe_page_without_javascript(client):
    page = client.get("/digest/subscribe")
    assert page.status_code == 200
    assert 'name="email"' in page.content.decode()
    assert client.put("/digest/subscribe").status_code == 405


def test_the_sender_is_woken_after_commit(django_capture_on_commit_callbacks, settings):
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.subscribe("reader@example.org")
    assert len(callbacks) == 1 and OutboxMessage.objects.count() == 1
    assert not default_task_backend.results  # type: ignore[attr-defined]
    callbacks[0]()  # the row committed: now the sender is enqueued
    names = [r.task.name for r in default_task_backend.results]  # type: ignore[attr-defined]
    assert names == ["send_outbox"]
