"""Reply and mention mails: a member whose comment gets a reply, or who is @mentioned in one,
is told by mail, through the outbox.

Posting a comment records a Notification for each member it concerns (``record``, called for
every new comment, in the comment's own transaction). ``compose_notices`` later gathers each
member's pending notifications into one mail, once the oldest has waited a while, so that a
burst of replies is one mail. Each mail carries a signed link, and the RFC 8058 headers, that
turn these mails off in one click, without logging in. See docs/digests.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Min
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from dailypapers.catalog.text import readable_text
from dailypapers.community.models import Comment

from . import links, mail
from .models import MailPreference, Notification, OutboxMessage, Subscription

log = logging.getLogger(__name__)

MENTION_CAP = 10  # members told of one comment's @mentions; more are ignored
MENTION_SCAN = 50  # distinct @names looked up in one comment (a hostile one may hold thousands)
EXCERPT_CHARS = 300  # of each comment's text in a mail
LISTED_CAP = 50  # notifications listed in one mail; the rest are counted ("and 12 more")
WAIT_MINUTES = 15  # the oldest pending notification waits this long, so a burst is one mail
USERS_PER_QUERY = 500

_SALT = "dailypapers.digests.notices-off"
OFF_PATH = "/digest/notices/off/{signed}"  # dailypapers/digests/notice_urls.py routes it

# Django's usernames are letters, digits and ``@.+-_`` (UnicodeUsernameValidator), at most
# 150 long. An @ right after one of those is part of a word or an address, not a mention.
_MENTION = re.compile(r"(?<![\w@.+\-/])@([\w.@+\-]{1,150})")
_TRAILING = ".@+-"  # "thanks @ada." mentions ada; a name that ends so is tried as written first
_BLOCKS = {"p", "br", "li", "pre", "blockquote", "hr", "h1", "h2", "h3", "h4", "h5", "h6"}


# --- a comment's text -------------------------------------------------------------------


class _Text(HTMLParser):
    """The text of a comment's sanitised HTML, in pieces marked whether they lie in code (or
    math), where an @ is no mention."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[tuple[str, bool]] = []
        self._code = 0
        self._spans: list[bool] = []  # for each open span: is it math?
        self.math: set[int] = set()  # the pieces that lie in a formula

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.pieces.append((" ", False))
        if tag in {"code", "pre"}:
            self._code += 1
        elif tag == "span":
            math = ("class", "math") in attrs
            self._spans.append(math)
            self._code += math

    def handle_endtag(self, tag: str) -> None:
        if tag in {"code", "pre"}:
            self._code = max(0, self._code - 1)
        elif tag == "span" and self._spans:
            self._code = max(0, self._code - self._spans.pop())
        if tag in _BLOCKS:
            self.pieces.append((" ", False))

    def handle_data(self, data: str) -> None:
        if any(self._spans):
            self.math.add(len(self.pieces))
        self.pieces.append((data, self._code > 0))


def _parsed(body_html: str) -> _Text:
    parser = _Text()
    parser.feed(body_html)
    parser.close()
    return parser


def _pieces(body_html: str) -> list[tuple[str, bool]]:
    return _parsed(body_html).pieces


def plain_text(body_html: str, limit: int = EXCERPT_CHARS) -> str:
    """The comment as one line of plain text (no control characters), cut at ``limit``
    characters with an ellipsis. Its formulas read as plain text (``$\\alpha$`` reads
    "\u03b1")."""
    parsed = _parsed(body_html)
    text = "".join(
        readable_text(piece) if i in parsed.math else piece
        for i, (piece, _) in enumerate(parsed.pieces)
    )
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch in "\t\n")
    return Truncator(" ".join(text.split())).chars(limit)


def mentioned_names(body_html: str) -> list[str]:
    """The @names in a comment, in order, each once, outside code spans, code blocks and math
    (at most MENTION_SCAN of them)."""
    text = "".join(" " if code else piece for piece, code in _pieces(body_html))
    names: list[str] = []
    for match in _MENTION.finditer(text):
        name = match.group(1)
        if name not in names:
            names.append(name)
            if len(names) >= MENTION_SCAN:
                break
    return names


def _resolve(names: list[str]) -> list[int]:
    """The active members the names stand for, in order, each once. A name is tried as
    written, then without trailing punctuation; exactly, then ignoring case (when that finds
    one member only)."""
    tries = {
        name: [name] + ([name.rstrip(_TRAILING)] if name.rstrip(_TRAILING) else [])
        for name in names
    }
    wanted = {t for ts in tries.values() for t in ts}
    active = User.objects.filter(is_active=True)
    exact = dict(active.filter(username__in=wanted).values_list("username", "pk"))
    folded: dict[str, list[int]] = {}
    unresolved = {t.lower() for ts in tries.values() if not any(t in exact for t in ts) for t in ts}
    if unresolved:
        rows = active.annotate(folded=Lower("username")).filter(folded__in=unresolved)
        for name, pk in rows.values_list("username", "pk"):
            folded.setdefault(name.lower(), []).append(pk)
    found: list[int] = []
    for ts in tries.values():
        candidates = [exact[t] for t in ts if t in exact]
        candidates += [pks[0] for t in ts if len(pks := folded.get(t.lower(), [])) == 1]
        if candidates and candidates[0] not in found:
            found.append(candidates[0])
    return found


def _opted_out(user_ids: list[int]) -> set[int]:
    rows = MailPreference.objects.filter(user_id__in=user_ids, replies=False)
    return set(rows.values_list("user_id", flat=True))


# --- recording ----------------------------------------------------------------------------


def record(comment: Comment) -> int:
    """Record the notifications a new comment makes: its parent's author (a reply) and up to
    MENTION_CAP active members it @mentions; never its own author, never twice for one member,
    none for members who turned these mails off, none for a comment not shown. Returns how
    many were recorded."""
    if not comment.shown:
        return 0
    reasons: dict[int, str] = {}
    parent = comment.parent if comment.parent_id is not None else None
    if parent is not None and User.objects.filter(pk=parent.author_id, is_active=True).exists():
        reasons[parent.author_id] = Notification.Reason.REPLY
    mentioned = [pk for pk in _resolve(mentioned_names(comment.body_html)) if pk not in reasons]
    mentioned = [pk for pk in mentioned if pk != comment.author_id][:MENTION_CAP]
    for pk in mentioned:
        reasons[pk] = Notification.Reason.MENTION
    reasons.pop(comment.author_id, None)
    for pk in _opted_out(list(reasons)):
        del reasons[pk]
    Notification.objects.bulk_create(
        [Notification(user_id=pk, comment=comment, reason=r) for pk, r in reasons.items()],
        ignore_conflicts=True,
    )
    return len(reasons)


def on_comment_saved(sender: object, instance: Comment, created: bool, **kwargs: Any) -> None:
    """post_save on Comment (connected in apps.py): a new comment records its notifications,
    and so does an edit of its text (``edit_comment``): a member it now @mentions is told,
    one told already is not told again (one notification per member and comment)."""
    if kwargs.get("raw"):
        return
    edited = "body_html" in (kwargs.get("update_fields") or ())
    if created or edited:
        record(instance)


# --- the one-click link -------------------------------------------------------------------


def sign(user_id: int) -> str:
    """The member's signed reference, as it appears in the turn-off link."""
    return signing.Signer(salt=_SALT).sign(str(user_id))


def unsign(signed: str) -> User | None:
    """The member a signed reference names; None for a forged, garbled or stale one."""
    try:
        value = signing.Signer(salt=_SALT).unsign(signed[:200])
    except signing.BadSignature:
        return None
    if not value.isascii() or not value.isdigit():
        return None
    return User.objects.filter(pk=int(value)).first()


def off_url(user_id: int) -> str:
    return links.absolute(OFF_PATH.format(signed=sign(user_id)))


def off_mailto(user_id: int) -> str:
    """The mailto: half of List-Unsubscribe: the digests' unsubscribe address, with
    ``replies-off`` and the signed reference as the subject."""
    return links.mailto("replies-off " + sign(user_id))


def off_headers(user_id: int) -> dict[str, str]:
    return links.list_unsubscribe(off_url(user_id), off_mailto(user_id))


def wants_replies(user: User) -> bool:
    return not MailPreference.objects.filter(user=user, replies=False).exists()


def turn_off(user: User) -> None:
    """No more reply or mention mails for this member (settings can turn them on again)."""
    MailPreference.objects.update_or_create(user=user, defaults={"replies": False})


# --- composing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One line of a notice mail: who replied or mentioned, where, what they said."""

    who: str
    reason: str  # Notification.Reason
    paper_title: str
    url: str
    excerpt: str

    @property
    def is_reply(self) -> bool:
        return self.reason == Notification.Reason.REPLY


def _item(notification: Notification) -> Item:
    comment = notification.comment
    path = reverse("paper", args=[comment.paper.arxiv_id])
    return Item(
        who=comment.author.get_username(),
        reason=notification.reason,
        paper_title=" ".join(comment.paper.title.split()),
        url=f"{settings.SITE_URL}{path}#c{comment.pk}",
        excerpt=plain_text(comment.body_html),
    )


def _due_users(cutoff: dt.datetime) -> list[int]:
    pending = Notification.objects.filter(mailed_at__isnull=True)
    oldest = pending.values("user_id").annotate(oldest=Min("created_at"))
    return sorted(oldest.filter(oldest__lte=cutoff).values_list("user_id", flat=True))


def compose_notices(now: dt.datetime | None = None, *, wait_minutes: int = WAIT_MINUTES) -> int:
    """Put one mail in the outbox for each member whose oldest pending notification has waited
    ``wait_minutes``, listing every pending one; returns how many mails were composed.

    Notifications that will never be mailed are dropped: those about comments hidden or
    deleted since, and those of members who turned these mails off, were deactivated, or have
    no verified primary address. Each member's mail and the marking of its notifications as
    mailed are one transaction; the outbox key (the newest notification it carries) makes a
    second composer's copy fail rather than send twice."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=max(0, wait_minutes))
    users = _due_users(cutoff)
    composed = 0
    for start in range(0, len(users), USERS_PER_QUERY):
        chunk = users[start : start + USERS_PER_QUERY]
        emails = dict(
            EmailAddress.objects.filter(user_id__in=chunk, primary=True, verified=True).values_list(
                "user_id", "email"
            )
        )
        zones = dict(
            Subscription.objects.filter(user_id__in=chunk).values_list("user_id", "time_zone")
        )
        live = set(User.objects.filter(pk__in=chunk, is_active=True).values_list("pk", flat=True))
        off = _opted_out(chunk)
        for user_id in chunk:
            email = emails.get(user_id) if user_id in live and user_id not in off else None
            composed += _compose_one(user_id, email, zones.get(user_id, "UTC"), now)
    if composed:
        log.info("notices: %d mail(s) composed for %d member(s) due", composed, len(users))
    return composed


class _Lost(Exception):
    """Another composer took these notifications first."""


def _compose_one(user_id: int, email: str | None, zone: str, now: dt.datetime) -> int:
    pending = Notification.objects.filter(user_id=user_id, mailed_at__isnull=True)
    try:
        with transaction.atomic():
            locked = pending.select_for_update(
                of=("self",), skip_locked=connection.features.has_select_for_update_skip_locked
            )
            rows = list(locked.select_related("comment__author", "comment__paper").order_by("id"))
            if not rows:
                return 0
            if email is None:
                Notification.objects.filter(pk__in=[n.pk for n in rows]).delete()
                return 0
            gone = [n.pk for n in rows if not n.comment.shown]
            kept = [n for n in rows if n.comment.shown]
            if gone:
                Notification.objects.filter(pk__in=gone).delete()
            if not kept:
                return 0
            claimed = Notification.objects.filter(
                pk__in=[n.pk for n in kept], mailed_at__isnull=True
            ).update(mailed_at=now)
            if claimed != len(kept):
                raise _Lost
            _notice_row(user_id, email, zone, kept).save()
    except (_Lost, IntegrityError):
        return 0
    return 1


def _notice_row(
    user_id: int, email: str, zone: str, notifications: list[Notification]
) -> OutboxMessage:
    """The outbox row (unsaved, due at once) telling of these notifications, oldest first."""
    items = [_item(n) for n in notifications[-LISTED_CAP:]]
    papers = {n.comment.paper_id for n in notifications}
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "items": items,
        "count": len(notifications),
        "more": len(notifications) - len(items),
        "replies": sum(n.reason == Notification.Reason.REPLY for n in notifications),
        "off_url": off_url(user_id),
    }
    subject, text, html = mail.render("notice", context)
    return mail.outbox_row(
        kind=OutboxMessage.Kind.NOTICE,
        key=f"notice:{user_id}:{notifications[-1].pk}",
        to=email,
        subject=subject,
        text=text,
        html=html,
        user_id=user_id,
        time_zone=zone,
        paper_count=min(len(papers), 32767),
        headers=off_headers(user_id),
    )
