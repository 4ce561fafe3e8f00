"""Fixtures for the digests' tests: a loopback SMTP server, outbox rows, a child's DB."""

from __future__ import annotations

import datetime as dt
import email
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.db import connections
from django.db.utils import load_backend

from dailypapers.digests.models import OutboxMessage
from tests.digests.smtp import SMTPServer


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    yield server
    server.release()
    server.stop()


@pytest.fixture
def smtp_settings(settings: Any, smtp_server: SMTPServer) -> SMTPServer:
    """Django's SMTP backend, pointed at the loopback server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    return smtp_server


def make_outbox(
    count: int,
    *,
    using: str = "default",
    prefix: str = "reader",
    time_zone: str = "UTC",
    issue_date: dt.date = dt.date(2026, 3, 2),
    headers: dict[str, str] | None = None,
) -> list[Any]:
    """``count`` confirmed subscriptions, each with one digest row due now."""
    from django.utils import timezone

    from dailypapers.digests.mail import outbox_row
    from dailypapers.digests.models import OutboxMessage, Subscription

    now = timezone.now()
    subs = Subscription.objects.using(using).bulk_create(
        [
            Subscription(email=f"{prefix}{i}@example.org", time_zone=time_zone, confirmed_at=now)
            for i in range(count)
        ]
    )
    rows = [
        outbox_row(
            kind="digest",
            key=f"digest:{sub.pk}:{issue_date}",
            to=sub.email,
            subject=f"Trending papers for {sub.email}",
            text=f"Hello {sub.email}\n.a line that starts with a dot\n",
            html=f"<p>Hello {sub.email}</p>",
            subscription=sub,
            issue_date=issue_date,
            time_zone=time_zone,
            headers=headers,
            due=now - dt.timedelta(seconds=1),
        )
        for sub in subs
    ]
    return OutboxMessage.objects.using(using).bulk_create(rows)


@pytest.fixture
def outbox() -> Callable[..., list[Any]]:
    return make_outbox


@pytest.fixture
def child_db(cli_env: dict[str, str]) -> Iterator[tuple[dict[str, str], str]]:
    """The database a `dailypapers` child process uses (see ``cli_env``), open here too as
    the alias ``child``; yields the child's environment and the alias."""
    from django.conf import settings

    config = dict(connections["default"].settings_dict)
    if settings.PRODUCTION:
        config["NAME"] = urlparse(cli_env["DATABASE_URL"]).path.lstrip("/")
    else:
        config["NAME"] = Path(cli_env["DAILYPAPERS_DATA_DIR"]) / "dailypapers.sqlite3"
    # a connection made here, not a configured alias: the test's database guard lets it be
    child = load_backend(config["ENGINE"]).DatabaseWrapper(config, "child")
    connections["child"] = child
    try:
        yield cli_env, "child"
    finally:
        child.close()
        del connections["child"]


@pytest.fixture(autouse=True)
def _fresh_cache(fresh_cache: None) -> None:
    """Every test here starts with an empty cache (rate-limit counters)."""


def parsed(row: OutboxMessage) -> EmailMessage:
    """The outbox row's message, as a mail reader parses it."""
    return email.message_from_bytes(row.raw(), policy=default)


def parts(row: OutboxMessage) -> tuple[str, str]:
    """The text and HTML parts of a row's message."""
    msg = parsed(row)
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()
