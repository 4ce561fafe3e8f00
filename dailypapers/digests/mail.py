"""Messages as the outbox holds them: rendered once, from named templates, to RFC 5322 bytes.

Every mail is three templates: ``<name>_subject.txt``, ``<name>.txt`` and ``<name>.html``
under ``templates/digests/email/`` (the digest's own are Jinja2: ``render_digest``). The
message is put together by ``build`` (CRLF line ends, headers folded at 78 columns between
words, so ``List-Unsubscribe`` breaks between its links and is never encoded), without
``Date``: the sender adds it when it sends (``OutboxMessage.wire_bytes``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets
from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from . import links
from .models import OutboxMessage, Subscription

TEMPLATES = "digests/email"


def render(name: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """The subject (one line), text and HTML parts of the named mail."""
    subject = render_to_string(f"{TEMPLATES}/{name}_subject.txt", dict(context))
    text = tidy(render_to_string(f"{TEMPLATES}/{name}.txt", dict(context)))
    html = render_to_string(f"{TEMPLATES}/{name}.html", dict(context))
    return " ".join(subject.split()), text, html


def tidy(text: str) -> str:
    """A text part as templates leave it made clean: no trailing spaces, no runs of more
    than one blank line, one final newline."""
    text = _BLANKS.sub("\n\n", "\n".join(line.rstrip() for line in text.splitlines()))
    return text.strip("\n") + "\n"


_BLANKS = re.compile(r"\n{3,}")


@lru_cache(maxsize=1)
def _jinja() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


def jinja_template(path: str) -> jinja2.Template:
    """A Jinja2 template under templates/ (HTML ones autoescaped): the digest's, rendered
    100,000 times a day, where Django's engine would take most of the time."""
    return _jinja().get_template(path)


def render_digest(name: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """Like ``render``, from the Jinja2 templates ``templates/digests/email/<name>/``:
    ``subject.txt``, ``body.txt``, ``body.html``."""
    base = f"{TEMPLATES}/{name}"
    subject = jinja_template(f"{base}/subject.txt").render(context)
    text = tidy(jinja_template(f"{base}/body.txt").render(context))
    html = jinja_template(f"{base}/body.html").render(context)
    return " ".join(subject.split()), text, html


def message_id() -> str:
    return make_msgid(domain=links.sender_domain())


def build(
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    msgid: str,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """The message (text and HTML alternatives, quoted-printable UTF-8), as bytes, without
    ``Date``.

    Headers go through the standard library's email package (encoded words, folding); the
    body is put together here, because the package's generator takes ~10 ms a message,
    most of a digest's cost. tests/digests check the result parses back to the same parts.
    """
    fields = [
        ("From", settings.DIGEST_FROM_EMAIL),
        ("To", to),
        ("Subject", subject),
        ("Message-ID", msgid),
        *(headers or {}).items(),
        ("MIME-Version", "1.0"),
    ]
    boundary = f"=_{secrets.token_hex(12)}"
    fields.append(("Content-Type", f'multipart/alternative; boundary="{boundary}"'))
    marker = f"--{boundary}\r\n".encode()
    return b"".join(
        [
            *(header(name, value) for name, value in fields),
            b"\r\n",
            marker,
            _part("plain", text),
            marker,
            _part("html", html),
            f"--{boundary}--\r\n".encode(),
        ]
    )


def header(name: str, value: str) -> bytes:
    """One header line, folded at 78 columns; a value with other than ASCII in RFC 2047
    encoded words (an address through the email package, which knows their syntax). Line
    breaks in the value are spaces: no header is ever injected."""
    value = " ".join(value.split())
    if not value.isascii():
        if name in {"From", "To"}:
            msg = EmailMessage(policy=SMTP)
            msg[name] = value
            return SMTP.fold_binary(name, msg[name])
        words, chunk = [], ""
        for ch in value:
            if len((chunk + ch).encode()) > _WORD_BYTES:
                words.append(chunk)
                chunk = ch
            else:
                chunk += ch
        words.append(chunk)
        encoded = [f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words]
        return (f"{name}: " + "\r\n ".join(encoded) + "\r\n").encode()
    lines, line = [], f"{name}:"
    for token in value.split(" "):
        if len(line) + 1 + len(token) > _COLUMNS and line.strip() and not line.endswith(":"):
            lines.append(line)
            line = ""
        line += f" {token}"
    lines.append(line)
    return ("\r\n".join(lines) + "\r\n").encode()


_COLUMNS = 78
_WORD_BYTES = 45  # 60 base64 characters: an encoded word within 75


def _part(subtype: str, body: str) -> bytes:
    data = "\r\n".join(body.splitlines()).encode() + b"\r\n"
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True)
    return (
        (
            f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ).encode()
        + encoded.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        + b"\r\n"
    )


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
