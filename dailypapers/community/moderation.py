"""Moderation: hide and show comments, unfeature and refeature papers, suspend users.

Nothing is deleted: each step flips a flag and leaves a ModerationAction in the audit trail."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Protocol, TypeVar

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from dailypapers.accounts.models import Profile, is_moderator

from . import pagecache
from .comments import counted
from .models import Comment, DailyEntry, ModerationAction

Kind = ModerationAction.Kind
T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class NotAModerator(PermissionError):
    pass


class Step(Protocol[T_contra]):
    """A moderation step and its undoing: ``on`` True takes it (hide, unfeature, suspend),
    False undoes it. ``moderator`` None is the site's operator, at the command line
    (`dailypapers users suspend`): no permission to check, and none named in the trail."""

    def __call__(
        self, moderator: User | None, target: T_contra, on: bool, reason: str = ""
    ) -> None: ...


def _step(
    taken: Kind, undone: Kind
) -> Callable[[Callable[[User | None, T, bool, str], ModerationAction | None]], Step[T]]:
    """Make a flip into a moderation step: only a moderator may take it, in one transaction,
    and when the flip changed something (it returns the audit entry's targets, unsaved) the
    entry is written with its kind, moderator and reason. A flip that finds the target already
    so returns None, and nothing is recorded."""

    def make(flip: Callable[[User | None, T, bool, str], ModerationAction | None]) -> Step[T]:
        @functools.wraps(flip)
        @transaction.atomic
        def step(moderator: User | None, target: T, on: bool, reason: str = "") -> None:
            if moderator is not None and not is_moderator(moderator):
                raise NotAModerator("Only moderators can do this.")
            pagecache.bump()
            action = flip(moderator, target, on, reason)
            if action is not None:
                action.moderator = moderator
                action.kind = taken if on else undone
                action.reason = reason
                action.save()

        return step

    return make


@_step(Kind.HIDE_COMMENT, Kind.SHOW_COMMENT)
def set_comment_hidden(
    moderator: User | None, comment: Comment, hidden: bool, reason: str
) -> ModerationAction | None:
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if comment.hidden == hidden:
        return None
    comment.hidden = hidden
    comment.save(update_fields=["hidden"])
    if comment.deleted_at is None:
        DailyEntry.objects.filter(paper_id=comment.paper_id).update(
            comment_count=counted(-1 if hidden else 1)
        )
    return ModerationAction(comment=comment, target_user_id=comment.author_id)


@_step(Kind.UNFEATURE, Kind.REFEATURE)
def set_entry_hidden(
    moderator: User | None, entry: DailyEntry, hidden: bool, reason: str
) -> ModerationAction | None:
    updated = DailyEntry.objects.filter(pk=entry.pk, hidden=not hidden).update(hidden=hidden)
    if not updated:
        return None
    entry.hidden = hidden
    return ModerationAction(entry=entry, target_user_id=entry.submitted_by_id)


@_step(Kind.SUSPEND, Kind.UNSUSPEND)
def set_suspended(
    moderator: User | None, user: User, suspended: bool, reason: str
) -> ModerationAction | None:
    if moderator is not None and user.pk == moderator.pk:
        raise NotAModerator("Moderators cannot suspend themselves.")
    profile, _ = Profile.objects.select_for_update().get_or_create(user_id=user.pk)
    if profile.suspended == suspended:
        return None
    profile.suspended_at = timezone.now() if suspended else None
    profile.suspended_reason = reason if suspended else ""
    profile.save(update_fields=["suspended_at", "suspended_reason"])
    return ModerationAction(target_user_id=user.pk)
