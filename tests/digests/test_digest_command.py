"""`dailypapers digest send` and the outbox's admin pages."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dailypapers.digests.models import OutboxMessage

pytestmark = pytest.mark.django_db

State = OutboxMessage.State


def _digest(*args: str) -> str:
    out = StringIO()
    call_command("digest", *args, stdout=out)
    return out.getvalue()


def test_send_dry_run_lists_what_would_go(outbox):
    outbox(3)
    out = _digest("send", "--dry-run", "--limit", "2")
    assert "reader0@example.org" in out and "reader1@example.org" in out
    assert "reader2@example.org" not in out
    assert "2 message(s) would be sent." in out
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {State.PENDING}


def test_send_to_one_address_over_smtp_prints_counts(smtp_settings, outbox):
    outbox(3)
    out = _digest("send", "--to", "READER1@example.org")
    assert out.strip() == "1 sent, 0 to retry later, 0 failed, 0 recovered from a stopped sender."
    assert list(smtp_settings.recorder.counts()) == ["reader1@example.org"]
    assert _digest("send").startswith("2 sent,")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["send", "--limit", "0"], "invalid positive whole number value: '0'"),
        (["send", "--to", "not an address"], "invalid email address value"),
        (["compose", "--date", "2026-13-01"], "invalid date \\(YYYY-MM-DD\\) value"),
        (["compose", "--workers", "x"], "invalid positive whole number value"),
        (["preview", "--to", "a@example.org"], "no subscription for a@example.org"),
        (["preview"], "the following arguments are required: --to"),
    ],
)
def test_bad_input_is_a_clear_error(args, error):
    with pytest.raises(CommandError, match=error):
        _digest(*args)


def test_admin_lists_filters_shows_and_retries(admin_client, outbox):
    rows = outbox(3)
    OutboxMessage.objects.filter(id=rows[0].id).update(
        state=State.FAILED, last_error="RCPT TO: 550 no such user"
    )
    listing = admin_client.get(
        "/admin/digests/outboxmessage/?state__exact=failed&kind__exact=digest"
    )
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "reader0@example.org" in page and "reader1@example.org" not in page
    found = admin_client.get("/admin/digests/outboxmessage/?q=reader2%40example")
    assert "reader2@example.org" in found.content.decode()
    assert "reader1@example.org" not in found.content.decode()
    detail = admin_client.get(f"/admin/digests/outboxmessage/{rows[0].id}/change/")
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "--- text/plain ---" in text and "Hello reader0@example.org" in text
    assert "&lt;p&gt;Hello reader0@example.org&lt;/p&gt;" in text  # the HTML part, as text
    done = admin_client.post(
        "/admin/digests/outboxmessage/",
        {"action": "retry", "_selected_action": [str(r.id) for r in rows]},
        follow=True,
    )
    assert "1 failed message(s) will be sent again." in done.content.decode()
    row = OutboxMessage.objects.get(id=rows[0].id)
    assert (row.state, row.attempts) == (State.PENDING, 0)


def test_admin_subscriptions_show_bounces(admin_client, outbox):
    outbox(1)
    page = admin_client.get("/admin/digests/subscription/")
    assert page.status_code == 200
    assert "hard bounces" in page.content.decode().lower()


def test_the_send_outbox_task_sends_what_is_due(settings, outbox):
    from django.core import mail

    from dailypapers.digests.tasks import send_outbox

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbox(2)
    assert send_outbox.call() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["reader0@example.org", "reader1@example.org"]
    assert send_outbox.call() == 0


def test_compose_preview_and_send_from_the_command_line(smtp_settings):
    from django.utils import timezone

    from dailypapers.digests.models import Subscription
    from tests.community.helpers import make_entry

    entry = make_entry(upvotes=4, title="A paper worth a mail")
    sub = Subscription.objects.create(email="reader@example.org", confirmed_at=timezone.now())
    preview = _digest("preview", "--to", "reader@example.org")
    assert "Subject: " in preview and "A paper worth a mail" in preview
    assert "<table" in _digest("preview", "--to", "reader@example.org", "--html")
    day = entry.day.isoformat()
    assert _digest("compose", "--date", day, "--dry-run").startswith("1 digest(s) would be")
    assert not OutboxMessage.objects.exists()
    assert _digest("compose", "--date", day).startswith("1 digest(s) composed, 0 reader(s)")
    assert _digest("compose", "--date", day).startswith("0 digest(s) composed")
    assert _digest("send").startswith("1 sent,")
    (got,) = smtp_settings.recorder.to("reader@example.org")
    assert "A paper worth a mail" in got["Subject"]
    sub.refresh_from_db()
    assert sub.last_issue_date == entry.day
    assert "Nothing new for reader@example.org" in _digest("preview", "--to", sub.email)
