"""The sender killed mid-run, and two senders at once: every reader gets one copy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.db import connection

from dailypapers.digests.models import OutboxMessage
from dailypapers.digests.sender import STOPPED_AT_END, send_pending
from tests.conftest import run_cli
from tests.digests.conftest import make_outbox
from tests.digests.smtp import SMTPServer

State = OutboxMessage.State


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize(("where", "left"), [("data", State.DELIVERING), ("rcpt", State.SENDING)])
def test_a_sender_killed_mid_run_loses_nothing_and_sends_nothing_twice(
    child_db, smtp_server: SMTPServer, where, left
):
    """`dailypapers digest send` is SIGKILLed while the server holds message 7: after it
    has read the whole message (the row is ``delivering``), or while it answers the RCPT
    (``sending``). A second run recovers the row and sends the rest, once each."""
    env, alias = child_db
    env = {**env, "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}"}
    rows = make_outbox(15, using=alias)
    held = rows[6]
    if where == "data":
        hold = smtp_server.hold(data_number=7)
    else:
        hold = smtp_server.hold(rcpt=held.to_email)
    child = subprocess.Popen(
        [sys.executable, "-m", "dailypapers.cli", "digest", "send", "--batch", "4"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert hold.reached.wait(60), "the sender never got to message 7"
        outbox = OutboxMessage.objects.using(alias)
        assert outbox.get(id=held.id).state == left
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)  # reaped: its pid is no longer alive
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        hold.release.set()
    # the first batch was recorded as sent; in the second (rows are marked sent a batch at
    # a time) two are delivering, the held row is as the kill left it, one is not tried
    states = list(outbox.order_by("id").values_list("state", flat=True))
    sent, delivering, sending, pending = State.SENT, State.DELIVERING, State.SENDING, State.PENDING
    assert states == [sent] * 4 + [delivering] * 2 + [left, sending] + [pending] * 7
    again = run_cli(env, "digest", "send")
    assert again.returncode == 0, again.stdout + again.stderr
    resent = 9 if where == "rcpt" else 8
    assert f"{resent} sent" in again.stdout and "4 recovered" in again.stdout, again.stdout
    assert set(outbox.values_list("state", flat=True)) == {State.SENT}
    assert smtp_server.recorder.counts() == {row.to_email: 1 for row in rows}
    notes = dict(outbox.values_list("id", "last_error"))
    assert notes[rows[4].id] == notes[rows[5].id] == STOPPED_AT_END
    assert notes[held.id] == (STOPPED_AT_END if where == "data" else "")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="SKIP LOCKED claims: PostgreSQL",
)
def test_two_senders_at_once_send_each_row_once(smtp_settings: SMTPServer):
    rows = make_outbox(300)
    start = threading.Barrier(2)
    reports = []

    def run() -> None:
        try:
            start.wait(10)
            reports.append(send_pending(batch=10))
        finally:
            connection.close()

    senders = [threading.Thread(target=run) for _ in range(2)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(120)
    assert len(reports) == 2
    assert sum(report.sent for report in reports) == 300
    assert all(report.sent > 0 for report in reports), [r.sent for r in reports]
    assert smtp_settings.recorder.counts() == {row.to_email: 1 for row in rows}
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {State.SENT}
