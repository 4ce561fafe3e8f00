from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default

import pytest

from dailypapers.digests.models import OutboxMessage


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
