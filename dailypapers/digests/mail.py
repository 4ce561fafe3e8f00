"""Messages as the outbox holds them: rendered once, from named templates, to RFC 5322 bytes.

Every mail is three templates: ``<name>_subject.txt``, ``<name>.txt`` and ``<name>.html``
under ``templates/digests/email/``. The message is built with the standard library's email
package (SMTP policy: CRLF line ends, lines folded), without ``Date``: the sender adds it
when it sends (``OutboxMessage.wire_bytes``). ``List-Unsubscribe`` is folded between its links
and never encoded (see ``_Policy``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboxMessage, Subscription

TEMPLATES = "digests/email"

_LINK_HEADERS = {"list-unsubscribe"}
_BETWEEN_LINKS = re.compile(r"(?<=>)\s*,\s*")


class _Policy(EmailPolicy):
    """The standard library's SMTP policy, but for headers that hold a list of ``<links>``:
    left as they are, those that run past 78 characters are written as RFC 2047 encoded
    words, which mail clients do not read as links (so no unsubscribe button). Here they
    are folded between their links instead; a line may then exceed 78 characters, which
    RFC 5322 allows up to 998."""

    def _fold(self, name: str, value: str, refold_binary: bool = False) -> str:
        if name.lower() not in _LINK_HEADERS or not str(value).isascii():
            return str(super()._fold(name, value, refold_binary))  # type: ignore[misc]
        links = _BETWEEN_LINKS.split(str(value).strip())
        return f"{name}: {(',' + self.linesep + ' ').join(links)}{self.linesep}"


SMTP = _Policy(linesep="\r\n")


def render(name: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """The subject (one line), text and HTML parts of the named mail."""
    subject = render_to_string(f"{TEMPLATES}/{name}_subject.txt", dict(context))
    text = render_to_string(f"{TEMPLATES}/{name}.txt", dict(context))
    html = render_to_string(f"{TEMPLATES}/{name}.html", dict(context))
    return " ".join(subject.split()), text, html


def message_id() -> str:
    domain = parseaddr(settings.DIGEST_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain)


def build(
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    msgid: str,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """The message (text and HTML alternatives), as bytes, without ``Date``."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = settings.DIGEST_FROM_EMAIL
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = msgid
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


def outbox_row(
    *,
    kind: str,
    key: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    subscription: Subscription | None = None,
    user_id: int | None = None,
    issue_date: dt.date | None = None,
    time_zone: str = "UTC",
    paper_count: int = 0,
    headers: Mapping[str, str] | None = None,
    due: dt.datetime | None = None,
) -> OutboxMessage:
    """An unsaved outbox row holding the rendered message (callers bulk-create them)."""
    msgid = message_id()
    raw = build(to=to, subject=subject, text=text, html=html, msgid=msgid, headers=headers)
    return OutboxMessage(
        kind=kind,
        key=key,
        subscription=subscription,
        user_id=user_id,
        issue_date=issue_date,
        to_email=to,
        subject=subject[:300],
        message_id=msgid.strip("<>")[:250],
        message=OutboxMessage.pack(raw),
        time_zone=time_zone,
        paper_count=paper_count,
        next_attempt_at=due or timezone.now(),
    )
