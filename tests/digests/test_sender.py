"""The outbox sender against a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
from email.utils import parsedate_to_datetime

import pytest
from django.core import mail
from django.utils import timezone

from dailypapers.digests import sender
from dailypapers.digests.mail import outbox_row
from dailypapers.digests.models import OutboxMessage, Subscription
from dailypapers.digests.sender import backoff, recover, send_pending
from tests.digests.smtp import SMTPServer

pytestmark = pytest.mark.django_db

State = OutboxMessage.State


def _later() -> None:
    """Time passes: every row waiting for a retry is due now."""
    OutboxMessage.objects.filter(state=State.PENDING).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_headers_and_both_parts_arrive_intact(smtp_settings, outbox):
    headers = {
        "List-Unsubscribe": "<https://papers.example.org/u/abc>, <mailto:u@example.org?subject=u>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    (row,) = outbox(1, time_zone="Pacific/Honolulu", headers=headers)
    before = timezone.now().replace(microsecond=0)
    report = send_pending()
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    (got,) = smtp_settings.recorder.received
    assert got.rcpt_tos == ["reader0@example.org"]
    message = got.message
    assert message["Message-ID"] == f"<{row.message_id}>"
    assert message["To"] == "reader0@example.org"
    assert message["List-Unsubscribe"].strip() == headers["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.search(r"-1000$", message["Date"]), message["Date"]
    assert parsedate_to_datetime(message["Date"]) >= before
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    # a line starting with a dot survives the transfer's dot-stuffing
    assert ".a line that starts with a dot" in text.get_content().splitlines()
    assert "<p>Hello reader0@example.org</p>" in html.get_content()
    row.refresh_from_db()
    assert row.state == State.SENT and row.sent_at is not None and row.last_error == ""


def test_a_transient_reply_is_retried_after_a_back_off(smtp_settings, outbox):
    (row,) = outbox(1)
    smtp_settings.recorder.rcpt_replies["reader0@example.org"] = ["451 4.3.0 try again later"]
    report = send_pending()
    assert (report.sent, report.retried) == (0, 1)
    row.refresh_from_db()
    assert row.state == State.PENDING and row.attempts == 1
    assert "451 4.3.0 try again later" in row.last_error
    wait = row.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=50) < wait <= dt.timedelta(minutes=1)
    assert send_pending().sent == 0  # not due yet
    _later()
    assert send_pending().sent == 1
    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 1
    assert smtp_settings.recorder.counts() == {"reader0@example.org": 1}


def test_back_off_doubles_up_to_six_hours():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(9) < dt.timedelta(hours=6) == backoff(10)
    assert backoff(200) == dt.timedelta(hours=6)


def test_too_many_transient_failures_fail_the_row(smtp_settings, outbox, settings):
    settings.DIGEST_MAX_ATTEMPTS = 2
    (row,) = outbox(1)
    smtp_settings.recorder.data_replies["reader0@example.org"] = ["452 4.2.2 mailbox full"] * 2
    assert send_pending().retried == 1
    _later()
    assert send_pending().failed == 1
    row.refresh_from_db()
    assert row.state == State.FAILED and row.attempts == 2
    assert row.last_error.startswith("Gave up after 2 tries: end of data: 452")
    assert Subscription.objects.get().hard_bounces == 0  # not a bounce
    assert smtp_settings.recorder.received == []


def _issue(sub: Subscription, day: dt.date) -> OutboxMessage:
    return outbox_row(
        kind="digest",
        key=f"digest:{sub.pk}:{day}",
        to=sub.email,
        subject="Trending papers",
        text="Hello",
        html="<p>Hello</p>",
        subscription=sub,
        issue_date=day,
        due=timezone.now() - dt.timedelta(seconds=1),
    )


def test_hard_bounces_fail_rows_and_pause_after_three(smtp_settings, outbox):
    (first,) = outbox(1, prefix="gone")
    sub = first.subscription
    OutboxMessage.objects.bulk_create([_issue(sub, dt.date(2026, 3, d)) for d in (3, 4)])
    smtp_settings.recorder.rcpt_replies["gone0@example.org"] = [
        "550 5.1.1 no such user",
        "550 5.1.1 no such user",
    ]
    smtp_settings.recorder.data_replies["gone0@example.org"] = ["554 5.7.1 rejected"]
    report = send_pending()
    assert (report.sent, report.failed) == (0, 3)
    states = set(OutboxMessage.objects.values_list("state", "last_error"))
    assert states == {
        (State.FAILED, "RCPT TO: 550 5.1.1 no such user"),
        (State.FAILED, "end of data: 554 5.7.1 rejected"),
    }
    sub.refresh_from_db()
    assert sub.hard_bounces == 3
    assert sub.paused_at is not None
    assert sub.paused_reason == (
        "Paused after 3 undelivered digests: end of data: 554 5.7.1 rejected"
    )
    assert not sub.is_active


def test_a_delivery_ends_a_run_of_bounces(smtp_settings, outbox):
    outbox(1)
    Subscription.objects.update(hard_bounces=2)
    smtp_settings.recorder.rcpt_replies["reader0@example.org"] = ["550 5.1.1 no such user"]
    send_pending()
    assert Subscription.objects.get().hard_bounces == 3
    assert Subscription.objects.get().paused_at is not None
    outbox(1, prefix="back")
    Subscription.objects.filter(email="back0@example.org").update(hard_bounces=2)
    assert send_pending().sent == 1
    assert Subscription.objects.get(email="back0@example.org").hard_bounces == 0


@pytest.mark.parametrize("where", ["rcpt", "data"])
def test_the_server_stopped_mid_run_then_restarted(smtp_settings, outbox, where):
    """The server goes away while it holds message 10 (at its RCPT, or when it has read
    the whole message); the rest wait, and once it is back each reader gets one copy."""
    server = smtp_settings
    rows = outbox(30)
    if where == "rcpt":
        hold = server.hold(rcpt="reader9@example.org")
    else:
        hold = server.hold(data_number=10)

    def stop_when_held() -> None:
        assert hold.reached.wait(30)
        server.stop()

    stopper = threading.Thread(target=stop_when_held)
    stopper.start()
    first = send_pending(batch=8)
    stopper.join()
    assert first.sent == 9 + (where == "data")
    assert first.failed == 0
    assert OutboxMessage.objects.filter(state=State.SENT).count() == first.sent
    server.start()
    _later()
    second = send_pending(batch=8)
    assert second.sent == 30 - first.sent
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {State.SENT}
    assert server.recorder.counts() == {row.to_email: 1 for row in rows}
    if where == "data":
        noted = OutboxMessage.objects.get(to_email="reader9@example.org")
        assert noted.last_error.startswith(sender.REPLY_LOST)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_it_logs_in_with_the_url_s_user_and_password(settings, outbox):
    server = SMTPServer(login=("mailer", "s3cret"))
    server.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_TIMEOUT = 10
        settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "mailer", "wrong"
        outbox(2)
        refused = send_pending()
        assert (refused.sent, refused.retried) == (0, 2)
        assert "log-in" in OutboxMessage.objects.order_by("id")[0].last_error
        settings.EMAIL_HOST_PASSWORD = "s3cret"
        _later()
        assert send_pending().sent == 2
        assert len(server.recorder.received) == 2
    finally:
        server.stop()


def test_a_connection_the_server_closed_is_opened_again(smtp_settings, outbox):
    rows = outbox(4)
    smtp_settings.recorder.close_after = 2
    report = send_pending()
    assert (report.sent, report.retried) == (4, 0)
    assert smtp_settings.recorder.counts() == {row.to_email: 1 for row in rows}


def test_nothing_listening_leaves_every_row_pending(settings, smtp_settings, outbox):
    smtp_settings.stop()
    outbox(5)
    report = send_pending()
    assert (report.sent, report.retried, report.failed) == (0, 5, 0)
    first = OutboxMessage.objects.order_by("id").first()
    assert first is not None
    assert first.attempts == 1 and "cannot open an SMTP session" in first.last_error
    untried = OutboxMessage.objects.filter(attempts=0)
    assert untried.count() == 4
    assert all(r.state == State.PENDING for r in untried)


def test_a_non_ascii_address_goes_with_smtputf8(smtp_settings, outbox):
    (row,) = outbox(1)
    OutboxMessage.objects.filter(id=row.id).update(to_email="jos\u00e9@example.org")
    assert send_pending().sent == 1
    assert smtp_settings.recorder.counts() == {"jos\u00e9@example.org": 1}


def test_the_console_backend_prints_the_message(settings, outbox, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    (row,) = outbox(1)
    assert send_pending().sent == 1
    printed = capsys.readouterr().out
    assert f"Message-ID: <{row.message_id}>" in printed
    assert "Date: " in printed and "Hello reader0@example.org" in printed


def test_dry_run_lists_and_changes_nothing(smtp_settings, outbox):
    outbox(3)
    report = send_pending(dry_run=True)
    assert [r.to_email for r in report.listed] == [f"reader{i}@example.org" for i in range(3)]
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {State.PENDING}
    assert smtp_settings.recorder.received == []


def test_only_to_one_address_and_a_limit(smtp_settings, outbox):
    outbox(5)
    assert send_pending(to="Reader3@example.org").sent == 1
    assert list(smtp_settings.recorder.counts()) == ["reader3@example.org"]
    assert send_pending(limit=2).sent == 2
    assert OutboxMessage.objects.filter(state=State.PENDING).count() == 2


def test_another_backend_gets_the_stored_message(settings, outbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    (row,) = outbox(1, time_zone="Pacific/Kiritimati")
    assert send_pending().sent == 1
    (sent,) = mail.outbox
    assert sent.to == ["reader0@example.org"]
    message = sent.message()
    assert message["Message-ID"] == f"<{row.message_id}>"
    assert message["Date"].endswith("+1400")
    assert "Hello reader0@example.org" in sent.body
    row.refresh_from_db()
    assert row.state == State.SENT


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_recovery_of_rows_a_stopped_sender_left(outbox):
    rows = outbox(5)
    host = sender._host()
    now = timezone.now()
    dead = f"{host}:{_dead_pid()}:abc"
    alive = f"{host}:{os.getppid()}:abc"
    elsewhere = "another-host:1:abc"
    long_ago = now - dt.timedelta(hours=1)
    plan = [
        (State.SENDING, dead, now),
        (State.DELIVERING, dead, now),
        (State.SENDING, alive, now),
        (State.DELIVERING, elsewhere, now),
        (State.SENDING, elsewhere, long_ago),
    ]
    for row, (state, token, at) in zip(rows, plan, strict=True):
        OutboxMessage.objects.filter(id=row.id).update(state=state, claimed_by=token, claimed_at=at)
    assert recover() == 3
    got = {r.id: r for r in OutboxMessage.objects.all()}
    assert [got[r.id].state for r in rows] == [
        State.PENDING,
        State.SENT,
        State.SENDING,
        State.DELIVERING,
        State.PENDING,
    ]
    assert got[rows[1].id].last_error == sender.STOPPED_AT_END
    assert got[rows[0].id].claimed_by == ""


@pytest.mark.slow
def test_one_run_sends_many_messages_over_one_connection_in_batches(smtp_settings, outbox):
    """(How fast: bench/digest_speed.py.)"""
    outbox(400)
    report = send_pending(batch=50)
    assert report.sent == 400 and smtp_settings.recorder.counts().total() == 400
    assert not OutboxMessage.objects.exclude(state="sent").exists()
