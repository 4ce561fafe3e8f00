"""The outbox sender: claims due rows atomically and delivers each once over SMTP.

A row goes ``pending`` -> ``sending`` (claimed, with this sender's token) -> ``delivering``
(the whole message was handed to the server but for its end-of-data line, committed before
that line is sent) -> ``sent``. So a sender killed at any instant leaves rows whose fate is
known: ``sending`` ones never reached the server as a message (they go back to pending),
``delivering`` ones may have (they count as delivered and are never sent again). Transient
failures retry with exponential back-off; permanent ones (5xx) fail the row and count a hard
bounce on its subscription, which is paused after ``DIGEST_HARD_BOUNCES`` in a row.

With any mail backend but Django's SMTP one (the console in embedded mode, locmem in tests),
messages are handed to that backend instead. See docs/digests.md, "Sending".
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import os
import secrets
import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .models import OutboxMessage, Subscription

log = logging.getLogger("dailypapers.digests.sender")

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
FIRST_RETRY = dt.timedelta(minutes=1)
"""The wait after a row's first transient failure; it doubles with each one after."""
LONGEST_RETRY = dt.timedelta(hours=6)
PROGRESS_SECONDS = 10.0
"""How often a long run logs its progress."""
STOPPED_AT_END = (
    "The sender stopped once the server had the whole message, before it recorded the "
    "reply: counted as delivered."
)
REPLY_LOST = "The connection was lost waiting for the reply to the message: counted as delivered."

State = OutboxMessage.State


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0
    listed: list[OutboxMessage] = field(default_factory=list)
    """What a dry run would send."""

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.retried} to retry, {self.failed} failed, "
            f"{self.recovered} recovered"
        )


class Transient(Exception):
    """Worth another try later: a 4xx reply, a refused or dropped connection, a timeout."""


class Permanent(Exception):
    """A 5xx reply: this message will never be accepted."""


class Unreachable(Transient):
    """No SMTP session could be opened: the rest of the run would fail the same way."""


class LostClaim(Exception):
    """Another sender took the row back (its lease ran out): this one must not finish it."""


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next try after ``attempts`` transient failures."""
    wait: dt.timedelta = FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 20)
    return min(wait, LONGEST_RETRY)


def _host() -> str:
    return socket.gethostname()


def new_token() -> str:
    """A claim's token: host, process id and a random part (``host:pid:random``)."""
    return f"{_host()}:{os.getpid()}:{secrets.token_hex(6)}"[:100]


def _claimer_dead(token: str) -> bool:
    """Whether the token names a process on this host that no longer runs."""
    parts = token.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    host, pid = parts[0], int(parts[1])
    if host != _host() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def recover(now: dt.datetime | None = None) -> int:
    """Rows left mid-send by a sender that died (or outlived its lease): ``sending`` ones go
    back to pending (the server never had the whole message), ``delivering`` ones count as
    sent (it had everything but the end-of-data line). Returns how many were recovered."""
    now = now or timezone.now()
    expired = now - dt.timedelta(seconds=settings.DIGEST_SEND_LEASE_SECONDS)
    stuck = OutboxMessage.objects.filter(state__in=[State.SENDING, State.DELIVERING])
    tokens = set(stuck.values_list("claimed_by", flat=True).distinct())
    dead = [token for token in tokens if _claimer_dead(token)]
    gone = Q(claimed_by__in=dead) | Q(claimed_at__lt=expired) | Q(claimed_at__isnull=True)
    back = OutboxMessage.objects.filter(gone, state=State.SENDING).update(
        state=State.PENDING, claimed_by="", claimed_at=None, next_attempt_at=now
    )
    done = OutboxMessage.objects.filter(gone, state=State.DELIVERING).update(
        state=State.SENT, sent_at=now, last_error=STOPPED_AT_END
    )
    if back or done:
        log.warning(
            "recovered %d row(s) a stopped sender left: %d back to pending, %d counted as sent",
            back + done,
            back,
            done,
        )
    return back + done


def _due(now: dt.datetime, to: str | None) -> QuerySet[OutboxMessage]:
    rows = OutboxMessage.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
    if to:
        rows = rows.filter(to_email__iexact=to)
    return rows.order_by("next_attempt_at", "id")


def claim(size: int, *, to: str | None = None) -> tuple[str, list[OutboxMessage]]:
    """Claim up to ``size`` due rows for this sender; returns the claim's token and the rows.

    On PostgreSQL the rows are locked with ``FOR UPDATE SKIP LOCKED`` so concurrent senders
    take disjoint rows; elsewhere a conditional UPDATE takes only rows still pending, and the
    rows read back are exactly those this claim won."""
    token = new_token()
    now = timezone.now()
    claimed = {"state": State.SENDING, "claimed_by": token, "claimed_at": now}
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            ids = list(
                _due(now, to)
                .select_for_update(skip_locked=True)
                .values_list("id", flat=True)[:size]
            )
            if ids:
                OutboxMessage.objects.filter(id__in=ids).update(**claimed)
    else:
        ids = list(_due(now, to).values_list("id", flat=True)[:size])
        if ids:
            OutboxMessage.objects.filter(id__in=ids, state=State.PENDING).update(**claimed)
    if not ids:
        return token, []
    rows = OutboxMessage.objects.filter(id__in=ids, claimed_by=token, state=State.SENDING)
    return token, list(rows.order_by("id"))


# --- the outcome of one row ---------------------------------------------------------------


def _mark_sent(ids: list[int], token: str, note: str = "") -> None:
    """Rows the server accepted. Rows sent over SMTP are marked a batch at a time: until
    then they are ``delivering``, which counts as delivered should the sender stop."""
    if ids:
        OutboxMessage.objects.filter(
            id__in=ids, claimed_by=token, state__in=[State.SENDING, State.DELIVERING]
        ).update(state=State.SENT, sent_at=timezone.now(), last_error=note)


def _mark_transient(row: OutboxMessage, token: str, error: str) -> bool:
    """Back to pending after a back-off, or failed after too many tries; True if it failed."""
    attempts = row.attempts + 1
    mine = OutboxMessage.objects.filter(id=row.id, claimed_by=token, state=State.SENDING)
    if attempts >= settings.DIGEST_MAX_ATTEMPTS:
        mine.update(
            state=State.FAILED,
            attempts=attempts,
            last_error=f"Gave up after {attempts} tries: {error}"[:10_000],
        )
        return True
    mine.update(
        state=State.PENDING,
        attempts=attempts,
        next_attempt_at=timezone.now() + backoff(attempts),
        claimed_by="",
        claimed_at=None,
        last_error=error[:10_000],
    )
    return False


def _mark_permanent(row: OutboxMessage, token: str, error: str) -> None:
    """Failed for good, and a hard bounce for its subscription (paused after enough)."""
    OutboxMessage.objects.filter(
        id=row.id, claimed_by=token, state__in=[State.SENDING, State.DELIVERING]
    ).update(state=State.FAILED, attempts=row.attempts + 1, last_error=error[:10_000])
    if row.subscription_id is None:
        return
    subscriptions = Subscription.objects.filter(id=row.subscription_id)
    subscriptions.update(hard_bounces=F("hard_bounces") + 1)
    bounces = subscriptions.values_list("hard_bounces", flat=True).first() or 0
    if bounces >= settings.DIGEST_HARD_BOUNCES:
        reason = f"Paused after {bounces} undelivered digests: {error}"
        paused = subscriptions.filter(paused_at__isnull=True).update(
            paused_at=timezone.now(), paused_reason=reason[:200]
        )
        if paused:
            log.warning("paused the subscription of %s: %s", row.to_email, reason)


def _release(rows: list[OutboxMessage], token: str) -> None:
    """Rows claimed but not tried (the run was asked to stop): pending again, as they were."""
    ids = [row.id for row in rows]
    OutboxMessage.objects.filter(id__in=ids, claimed_by=token, state=State.SENDING).update(
        state=State.PENDING, claimed_by="", claimed_at=None
    )


def _renew(rows: list[OutboxMessage], token: str) -> None:
    """Keep the claim on a long batch's rows (so no other sender thinks them stale)."""
    ids = [row.id for row in rows]
    OutboxMessage.objects.filter(
        id__in=ids, claimed_by=token, state__in=[State.SENDING, State.DELIVERING]
    ).update(claimed_at=timezone.now())


# --- SMTP -------------------------------------------------------------------------------------


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _check(code: int, text: bytes | str, expected: tuple[int, ...], stage: str) -> None:
    if code in expected:
        return
    message = f"{stage}: {_reply(code, text)}"
    if 500 <= code < 600:
        raise Permanent(message)
    raise Transient(message)


def dot_stuffed(data: bytes) -> bytes:
    """The message as DATA carries it: CRLF line ends, a leading '.' doubled, and without
    its last line end (the end-of-data line ``CRLF . CRLF`` supplies it)."""
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"\r\n".join(b"." + line if line.startswith(b".") else line for line in lines)


def _no_delay(smtp: smtplib.SMTP) -> None:
    """Small writes go at once: without this, the end-of-data line waits for the ACK of the
    message (Nagle's algorithm meeting delayed ACKs), some 40 ms a message."""
    sock = smtp.sock
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class SMTPSession:
    """One connection to the configured SMTP server, reused for a batch."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        if self.smtp is not None:
            return self.smtp
        host, port = settings.EMAIL_HOST, int(settings.EMAIL_PORT)
        timeout = float(settings.EMAIL_TIMEOUT or 30)
        try:
            if settings.EMAIL_USE_SSL:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    host, port, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            _no_delay(smtp)
            smtp.ehlo()
            if settings.EMAIL_USE_TLS:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.EMAIL_HOST_USER:
                smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
        except smtplib.SMTPAuthenticationError as error:
            raise Unreachable(f"SMTP log-in to {host}:{port} refused: {error}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise Unreachable(f"cannot open an SMTP session with {host}:{port}: {error}") from error
        self.smtp = smtp
        return smtp

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def drop(self) -> None:
        """Forget a broken connection."""
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            smtp.close()

    def reset(self) -> None:
        """End a failed transaction so the connection can carry the next message."""
        if self.smtp is None:
            return
        try:
            code, _ = self.smtp.rset()
            if code != 250:
                self.drop()
        except (smtplib.SMTPException, OSError):
            self.drop()

    def _mail_from(self, row: OutboxMessage) -> smtplib.SMTP:
        """Open the session if need be and start the row's mail transaction."""
        smtp = self.open()
        sender = parseaddr(settings.DIGEST_FROM_EMAIL)[1] or settings.DIGEST_FROM_EMAIL
        options = ["BODY=8BITMIME"] if smtp.has_extn("8bitmime") else []
        if not (sender + row.to_email).isascii():
            if not smtp.has_extn("smtputf8"):
                raise Permanent(f"{row.to_email}: the server takes only ASCII addresses")
            options.append("SMTPUTF8")
        smtp.command_encoding = "ascii" if "SMTPUTF8" not in options else "utf-8"
        _check(*smtp.mail(sender, options), (250,), "MAIL FROM")
        return smtp

    def deliver(self, row: OutboxMessage, token: str) -> str:
        """Send one claimed row, exactly once; returns a note for the row (empty if none).

        Raises Transient or Permanent while the row is still ``sending``; once it is
        ``delivering`` the only outcomes are sent (a note says when the reply was lost) or
        a Permanent/Transient reply to the end of data."""
        reused = self.smtp is not None
        try:
            try:
                smtp = self._mail_from(row)
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                if not reused:
                    raise
                self.drop()  # the server closed an idle connection: open a new one
                smtp = self._mail_from(row)
            _check(*smtp.rcpt(row.to_email), (250, 251), "RCPT TO")
            _check(*smtp.docmd("DATA"), (354,), "DATA")
            smtp.send(dot_stuffed(row.wire_bytes(timezone.now())))
        except (Transient, Permanent):
            self.reset()
            raise
        except (smtplib.SMTPException, OSError) as error:
            self.drop()
            raise Transient(f"connection lost: {error or type(error).__name__}") from error
        moved = OutboxMessage.objects.filter(
            id=row.id, claimed_by=token, state=State.SENDING
        ).update(state=State.DELIVERING, claimed_at=timezone.now())
        if not moved:  # the claim was taken back: never finish the message
            self.drop()
            raise LostClaim(f"row {row.id} was reclaimed")
        try:
            smtp.send(b"\r\n.\r\n")
            code, text = smtp.getreply()
        except (smtplib.SMTPException, OSError) as error:
            self.drop()
            return f"{REPLY_LOST} ({error or type(error).__name__})"
        if code == 250:
            return ""
        # the server refused the whole message: it has not got it
        OutboxMessage.objects.filter(id=row.id, claimed_by=token, state=State.DELIVERING).update(
            state=State.SENDING
        )
        _check(code, text, (250,), "end of data")
        return ""


class BackendSession:
    """Any other mail backend (console, locmem, file): each row handed to it as it is."""

    def __init__(self) -> None:
        self.backend: Any = None

    def open(self) -> Any:
        if self.backend is None:
            self.backend = get_connection()
            self.backend.open()
        return self.backend

    def close(self) -> None:
        backend, self.backend = self.backend, None
        if backend is not None:
            backend.close()

    def deliver(self, row: OutboxMessage, token: str) -> str:
        backend = self.open()
        try:
            count = backend.send_messages([StoredMessage(row)])
        except Exception as error:  # a backend's own failure, whichever it is
            raise Transient(f"{type(error).__name__}: {error}") from error
        if not count:
            raise Transient("the mail backend did not send the message")
        return ""


class StoredMessage(EmailMessage):
    """An outbox row as a Django EmailMessage: the stored message, Date added, as it is."""

    def __init__(self, row: OutboxMessage) -> None:
        self.stored = email.message_from_bytes(
            row.wire_bytes(timezone.now()), policy=email.policy.SMTP
        )
        body = self.stored.get_body(preferencelist=("plain",))
        super().__init__(
            subject=row.subject,
            body=str(body.get_content()) if body is not None else "",
            from_email=settings.DIGEST_FROM_EMAIL,
            to=[row.to_email],
        )
        self.extra_headers = {"Message-ID": str(self.stored["Message-ID"])}

    def message(self, *, policy: Any = None) -> Message:
        return self.stored


# --- the run ----------------------------------------------------------------------------------


def uses_smtp() -> bool:
    return bool(settings.EMAIL_BACKEND == SMTP_BACKEND)


def send_pending(
    *,
    limit: int | None = None,
    to: str | None = None,
    dry_run: bool = False,
    stop: threading.Event | None = None,
    batch: int = 50,
) -> SendReport:
    """Send every due pending row (at most ``limit``; only those to ``to`` if given) until
    none is due, claiming ``batch`` rows at a time. A dry run lists what would go and
    changes nothing."""
    report = SendReport()
    if dry_run:
        due = _due(timezone.now(), to)
        report.listed = list(due[:limit] if limit is not None else due)
        return report
    report.recovered += recover()
    session: SMTPSession | BackendSession = SMTPSession() if uses_smtp() else BackendSession()
    started = last_log = time.monotonic()
    lease = max(settings.DIGEST_SEND_LEASE_SECONDS / 3, 1)
    log.info("sending the outbox%s", f" to {to}" if to else "")
    try:
        while limit is None or report.sent + report.retried + report.failed < limit:
            if stop is not None and stop.is_set():
                break
            size = batch if limit is None else min(batch, limit - _done(report))
            token, rows = claim(size, to=to)
            if not rows:
                break
            renewed = time.monotonic()
            delivered: list[int] = []
            try:
                for index, row in enumerate(rows):
                    if stop is not None and stop.is_set():
                        _release(rows[index:], token)
                        break
                    if time.monotonic() - renewed > lease:
                        _renew(rows, token)
                        renewed = time.monotonic()
                    if not _send_one(session, row, token, report, delivered):
                        _unreachable(rows[index + 1 :], token, report)
                        return report
                    if time.monotonic() - last_log > PROGRESS_SECONDS:
                        last_log = time.monotonic()
                        log.info("outbox progress: %s", report)
            finally:
                _mark_sent(delivered, token)
                _reset_bounces(rows, token)
            report.recovered += recover()
    finally:
        session.close()
        elapsed = time.monotonic() - started
        log.info("outbox sent in %.1f s: %s", elapsed, report)
    return report


def _done(report: SendReport) -> int:
    return report.sent + report.retried + report.failed


def _send_one(
    session: SMTPSession | BackendSession,
    row: OutboxMessage,
    token: str,
    report: SendReport,
    delivered: list[int],
) -> bool:
    """Try one row and record how it went (a delivered one is added to ``delivered``, to be
    marked sent with its batch); False when the server cannot be reached."""
    try:
        note = session.deliver(row, token)
    except Unreachable as error:
        log.warning("%s", error)
        if _mark_transient(row, token, str(error)):
            report.failed += 1
        else:
            report.retried += 1
        return False
    except Transient as error:
        if _mark_transient(row, token, str(error)):
            report.failed += 1
            log.warning("gave up on %s to %s: %s", row.key, row.to_email, error)
        else:
            report.retried += 1
            log.info("will retry %s to %s: %s", row.key, row.to_email, error)
        return True
    except Permanent as error:
        _mark_permanent(row, token, str(error))
        report.failed += 1
        log.warning("%s to %s failed: %s", row.key, row.to_email, error)
        return True
    except LostClaim as error:
        log.warning("%s", error)
        return True
    if note or isinstance(session, BackendSession):
        _mark_sent([row.id], token, note)
    else:
        delivered.append(row.id)
    report.sent += 1
    return True


def _unreachable(rows: list[OutboxMessage], token: str, report: SendReport) -> None:
    """The server cannot be reached: the rest of the batch waits for a later run (not
    counted as a try: none was made)."""
    OutboxMessage.objects.filter(
        id__in=[row.id for row in rows], claimed_by=token, state=State.SENDING
    ).update(
        state=State.PENDING,
        claimed_by="",
        claimed_at=None,
        next_attempt_at=timezone.now() + FIRST_RETRY,
        last_error="Not tried: the SMTP server could not be reached.",
    )
    report.retried += len(rows)


def _reset_bounces(rows: list[OutboxMessage], token: str) -> None:
    """A delivery ends a subscription's run of hard bounces."""
    delivered = OutboxMessage.objects.filter(
        id__in=[row.id for row in rows], state=State.SENT, subscription__isnull=False
    ).values("subscription_id")
    Subscription.objects.filter(id__in=delivered, hard_bounces__gt=0).update(hard_bounces=0)
