"""Moderation: hide and show comments, unfeature and refeature papers, suspend users.

Nothing is deleted: each step flips a flag and leaves a ModerationAction in the audit trail."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dailypapers.accounts.models import Profile, is_moderator

from . import pagecache
from .models import Comment, DailyEntry, ModerationAction

Kind = ModerationAction.Kind


class NotAModerator(PermissionError):
    pass


def _require(moderator: User) -> None:
    if not is_moderator(moderator):
        raise NotAModerator("Only moderators can do this.")
    pagecache.bump()


@transaction.atomic
def set_comment_hidden(moderator: User, comment: Comment, hidden: bool, reason: str = "") -> None:
    _require(moderator)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if comment.hidden == hidden:
        return
    comment.hidden = hidden
    comment.save(update_fields=["hidden"])
    if comment.deleted_at is None:
        DailyEntry.objects.filter(paper_id=comment.paper_id).update(
            comment_count=F("comment_count") + (-1 if hidden else 1)
        )
    ModerationAction.objects.create(
        moderator=moderator,
        kind=Kind.HIDE_COMMENT if hidden else Kind.SHOW_COMMENT,
        comment=comment,
        target_user_id=comment.author_id,
        reason=reason,
    )


@transaction.atomic
def set_entry_hidden(moderator: User, entry: DailyEntry, hidden: bool, reason: str = "") -> None:
    _require(moderator)
    updated = DailyEntry.objects.filter(pk=entry.pk, hidden=not hidden).update(hidden=hidden)
    if not updated:
        return
    entry.hidden = hidden
    ModerationAction.objects.create(
        moderator=moderator,
        kind=Kind.UNFEATURE if hidden else Kind.REFEATURE,
        entry=entry,
        target_user_id=entry.submitted_by_id,
        reason=reason,
    )


@transaction.atomic
def set_suspended(moderator: User, user: User, suspended: bool, reason: str = "") -> None:
    _require(moderator)
    if user.pk == moderator.pk:
        raise NotAModerator("Moderators cannot suspend themselves.")
    profile, _ = Profile.objects.select_for_update().get_or_create(user_id=user.pk)
    if profile.suspended == suspended:
        return
    profile.suspended_at = timezone.now() if suspended else None
    profile.suspended_reason = reason if suspended else ""
    profile.save(update_fields=["suspended_at", "suspended_reason"])
    ModerationAction.objects.create(
        moderator=moderator,
        kind=Kind.SUSPEND if suspended else Kind.UNSUSPEND,
        target_user_id=user.pk,
        reason=reason,
    )
