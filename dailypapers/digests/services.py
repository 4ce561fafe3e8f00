"""Subscribing: the rules for signing up, confirming, changing, pausing and leaving a digest.

Double opt-in: an address typed into the subscribe box gets one confirmation mail and nothing
else until its link is followed. A member's verified primary address needs no confirmation.
Mail goes through the outbox (``OutboxMessage``); the sender task is enqueued once the row
commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from dailypapers.catalog.models import Category

from . import compose, links, mail
from .compose import Issue
from .models import MailPreference, OutboxMessage, Subscription
from .tasks import send_outbox

log = logging.getLogger(__name__)

# A confirmation mail goes at most this often to one address, however often it is typed in.
CONFIRM_EVERY = dt.timedelta(minutes=10)
PAUSED_BY_READER = "Paused by you."


@dataclass(frozen=True, slots=True)
class Options:
    """What a reader chooses: how often, when, and what."""

    frequency: str = Subscription.Frequency.DAILY
    weekday: int = Subscription.Weekday.MONDAY
    hour: int = 7
    time_zone: str = "UTC"
    categories: tuple[Category, ...] = ()
    personal_picks: bool = True


def normalise(address: str) -> str:
    return address.strip().lower()


def enqueue_sender() -> None:
    """Wake the sender once the current transaction commits."""

    def _enqueue() -> None:
        try:
            send_outbox.enqueue()
        except Exception:  # a queue that is down: the scheduled round sends it later
            log.exception("digests: could not enqueue the sender")

    transaction.on_commit(_enqueue)


def subscribe(address: str, frequency: str = Subscription.Frequency.DAILY) -> Subscription:
    """Find or create the address's subscription; an unconfirmed one is sent a confirmation
    (at most once per ``CONFIRM_EVERY``). A confirmed one is left as it is: whoever typed the
    address cannot change someone else's digest, nor learn that it exists."""
    email = normalise(address)
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().filter(email=email).first()
        if sub is None:
            try:
                with transaction.atomic():
                    sub = Subscription.objects.create(email=email, frequency=frequency)
            except IntegrityError:  # created meanwhile by a second request
                sub = Subscription.objects.select_for_update().get(email=email)
        if sub.unsubscribed_at is not None:
            # Back after leaving: the address is confirmed again before anything is sent.
            sub.unsubscribed_at = None
            sub.confirmed_at = None
            sub.confirm_token = secrets.token_urlsafe(32)
            sub.frequency = frequency
            sub.save(
                update_fields=["unsubscribed_at", "confirmed_at", "confirm_token", "frequency"]
            )
        if sub.confirmed_at is None:
            send_confirmation(sub)
    return sub


def send_confirmation(sub: Subscription, *, now: dt.datetime | None = None) -> bool:
    """Put the confirmation mail in the outbox, unless one went within ``CONFIRM_EVERY``."""
    now = now or timezone.now()
    if sub.confirm_sent_at is not None and now - sub.confirm_sent_at < CONFIRM_EVERY:
        return False
    n = OutboxMessage.objects.filter(subscription=sub, kind=OutboxMessage.Kind.CONFIRM).count()
    context = {"subscription": sub, "confirm_url": links.confirm_url(sub)}
    subject, text, html = mail.render("confirm", context)
    mail.outbox_row(
        kind=OutboxMessage.Kind.CONFIRM,
        key=f"confirm:{sub.pk}:{n + 1}",
        to=sub.email,
        subject=subject,
        text=text,
        html=html,
        subscription=sub,
        time_zone=sub.time_zone,
    ).save()
    sub.confirm_sent_at = now
    sub.save(update_fields=["confirm_sent_at"])
    enqueue_sender()
    return True


def first_issue_after(sub: Subscription, now: dt.datetime) -> dt.date:
    """The ``last_issue_date`` that makes the next issue come at the reader's next chosen
    hour: today (local) once that hour has passed, else yesterday."""
    local = now.astimezone(sub.zone)
    today = local.date()
    return today if local.hour >= sub.hour else today - dt.timedelta(days=1)


def _settle(sub: Subscription, now: dt.datetime) -> None:
    """Never earlier than the next chosen hour, and never a second issue for a date."""
    start = first_issue_after(sub, now)
    if sub.last_issue_date is None or sub.last_issue_date < start:
        sub.last_issue_date = start


def by_confirm_token(token: str) -> Subscription | None:
    if not token or len(token) > 64:
        return None
    return Subscription.objects.filter(confirm_token=token, unsubscribed_at__isnull=True).first()


def confirm(sub: Subscription, *, now: dt.datetime | None = None) -> None:
    """The address is confirmed: digests start at the next chosen hour. Confirming twice
    changes nothing."""
    if sub.confirmed_at is not None:
        return
    now = now or timezone.now()
    sub.confirmed_at = now
    _settle(sub, now)
    sub.save(update_fields=["confirmed_at", "last_issue_date"])


def change(sub: Subscription, options: Options, *, now: dt.datetime | None = None) -> None:
    """Apply the reader's choices; a new hour or zone never brings an issue early or twice."""
    sub.frequency = options.frequency
    sub.weekday = options.weekday
    sub.hour = options.hour
    sub.time_zone = options.time_zone
    sub.personal_picks = options.personal_picks
    if sub.confirmed_at is not None and sub.last_issue_date is not None:
        _settle(sub, now or timezone.now())
    with transaction.atomic():
        sub.save()
        sub.categories.set(options.categories)


def pause(sub: Subscription, *, now: dt.datetime | None = None) -> None:
    if sub.paused_at is None:
        sub.paused_at = now or timezone.now()
        sub.paused_reason = PAUSED_BY_READER
        sub.save(update_fields=["paused_at", "paused_reason"])


def resume(sub: Subscription, *, now: dt.datetime | None = None) -> None:
    """Back on, bounces forgotten; the next issue comes at the next chosen hour."""
    sub.paused_at = None
    sub.paused_reason = ""
    sub.hard_bounces = 0
    if sub.confirmed_at is not None:
        _settle(sub, now or timezone.now())
    sub.save(update_fields=["paused_at", "paused_reason", "hard_bounces", "last_issue_date"])


def unsubscribe(sub: Subscription, *, now: dt.datetime | None = None) -> None:
    if sub.unsubscribed_at is None:
        sub.unsubscribed_at = now or timezone.now()
        sub.save(update_fields=["unsubscribed_at"])


def resubscribe(sub: Subscription, *, now: dt.datetime | None = None) -> None:
    """From a signed link (it reached the reader's inbox, so the address is theirs): a
    confirmed address is back at once; an unconfirmed one is sent its confirmation."""
    now = now or timezone.now()
    with transaction.atomic():
        sub.unsubscribed_at = None
        if sub.confirmed_at is not None:
            _settle(sub, now)
        sub.save(update_fields=["unsubscribed_at", "last_issue_date"])
        if sub.confirmed_at is None:
            send_confirmation(sub, now=now)


def is_bounce_pause(sub: Subscription) -> bool:
    """Paused by the sender after repeated hard bounces, rather than by the reader."""
    return sub.paused_at is not None and sub.paused_reason not in {"", PAUSED_BY_READER}


# --- members ---------------------------------------------------------------------------------


def verified_address(user: AbstractBaseUser) -> str | None:
    """The member's verified primary address (allauth), lower-cased; None if there is none."""
    from allauth.account.models import EmailAddress

    row = EmailAddress.objects.filter(user_id=user.pk, primary=True, verified=True).first()
    return normalise(row.email) if row else None


def member_subscription(user: AbstractBaseUser) -> Subscription | None:
    address = verified_address(user)
    if address is None:
        return None
    return Subscription.objects.filter(email=address).prefetch_related("categories").first()


def subscribe_member(
    user: AbstractBaseUser, options: Options, *, now: dt.datetime | None = None
) -> Subscription | None:
    """Subscribe the member's verified address at once (allauth confirmed it); an earlier
    subscription of that address, confirmed or not, becomes theirs. None without one."""
    address = verified_address(user)
    if address is None:
        return None
    now = now or timezone.now()
    with transaction.atomic():
        sub, _ = Subscription.objects.select_for_update().get_or_create(email=address)
        sub.user_id = user.pk
        sub.unsubscribed_at = None
        sub.paused_at = None
        sub.paused_reason = ""
        if sub.confirmed_at is None:
            sub.confirmed_at = now
        sub.last_issue_date = None
        change(sub, options, now=now)
        _settle(sub, now)
        sub.save()
    return sub


def mail_preference(user: AbstractBaseUser) -> MailPreference:
    pref, _ = MailPreference.objects.get_or_create(user_id=user.pk)
    return pref


def set_replies(user: AbstractBaseUser, replies: bool) -> None:
    MailPreference.objects.update_or_create(user_id=user.pk, defaults={"replies": replies})


# --- the preview -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preview:
    day: dt.date  # the reader's local date of their next issue
    issue: Issue | None  # None: nothing new yet


def preview(sub: Subscription) -> Preview:
    """The next issue, exactly as it would be sent now."""
    return Preview(day=compose.next_issue_date(sub), issue=compose.preview(sub))
